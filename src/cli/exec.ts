/**
 * `srt exec plan.json -- cmd args…`: run a compiled plan. The plan is all it
 * needs — no settings file, no compiler. A plan for another target or
 * architecture, or one that is not a plan at all, is a usage error.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { LinuxPlan } from "../backends/bwrap/index.js";
import { hostSeccompArch } from "../runtime/host-arch.js";
import { exitStatus, type CliIo } from "./io.js";
import { parseRunArgs } from "./run-options.js";
import { runPlan } from "./sandbox-run.js";

export async function execCommand(argv: readonly string[], io: CliIo): Promise<number> {
  if (io.platform !== "linux") {
    io.err(`srt exec: plans are Linux-only (bwrap + seccomp; this is ${io.platform}); on macOS run \`srt [options] -- command\`, which compiles and runs a Seatbelt profile\n`);
    return exitStatus.runtime;
  }
  const [planFile, ...rest] = argv;
  if (planFile === undefined || planFile.startsWith("-")) {
    io.err("srt exec: usage: srt exec plan.json [-d] [-q] [--violations F] [--control-fd N] [--proxies DIR] -- command [args…]\n");
    return exitStatus.usage;
  }
  const parsed = parseRunArgs(rest);
  if (!parsed.ok) {
    io.err(`srt exec: ${parsed.message}\n`);
    return exitStatus.usage;
  }
  if (parsed.options.settings !== undefined) {
    io.err("srt exec: a plan already contains its policy; --settings does not apply\n");
    return exitStatus.usage;
  }
  const loaded = loadPlan(resolve(io.cwd, planFile));
  if (typeof loaded === "string") {
    io.err(`srt exec: ${planFile}: ${loaded}\n`);
    return exitStatus.usage;
  }
  const o = parsed.options;
  return runPlan({ plan: loaded, command: o.command, debug: o.debug, quiet: o.quiet, violations: o.violations, controlFd: o.controlFd, proxies: o.proxies }, io);
}

function loadPlan(file: string): LinuxPlan | string {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : `not a JSON plan (${(e as Error).message})`;
  }
  const p = value as Partial<LinuxPlan> | null;
  if (p === null || typeof p !== "object" || p.kind !== "srt-plan") return "not an srt plan (make one with `srt compile --target linux F -o plan.json`)";
  if (p.version !== 1) return `plan version ${String(p.version)} is not supported by this srt`;
  if (p.target !== "linux") return `plan is for ${String(p.target)}, this runtime runs linux plans`;
  if (p.arch !== hostSeccompArch()) return `plan is for ${String(p.arch)}, this machine is ${hostSeccompArch()}: recompile it here`;
  if (!Array.isArray(p.bwrap) || typeof p.seccomp?.base64 !== "string" || typeof p.chdir !== "string" || !Array.isArray(p.placeholders) || p.network === undefined || p.env === undefined) {
    return "plan is incomplete or damaged; recompile it";
  }
  return p as LinuxPlan;
}
