/** The seccomp architecture of this machine; plans are compiled for the machine that runs them. */
import type { SeccompArch } from "../backends/seccomp/index.js";

export function hostSeccompArch(arch: string = process.arch): SeccompArch {
  if (arch === "x64") return "x86_64";
  if (arch === "arm64") return "aarch64";
  throw new Error(`unsupported architecture ${arch}: srt's seccomp filter exists for x86_64 and aarch64`);
}
