/** The seccomp architecture of this machine; plans are compiled for the machine that runs them. */
import { seccompArchOf, type SeccompArch } from "../backends/seccomp/index.js";

export function hostSeccompArch(arch: string = process.arch): SeccompArch {
  const seccomp = seccompArchOf(arch);
  if (seccomp === undefined)
    throw new Error(`unsupported architecture ${arch}: srt's seccomp filter exists for x86_64 and aarch64`);
  return seccomp;
}
