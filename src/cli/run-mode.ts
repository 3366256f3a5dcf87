/** `srt [options] [-c "string" | [--] cmd args…]`: compile the settings for this machine and run the command in one go. */
import { resolve } from "node:path";
import { lowerLinuxPlan } from "../backends/bwrap/index.js";
import { hostSeccompArch } from "../runtime/host-arch.js";
import { failureLine } from "../runtime/failure.js";
import { exitStatus, type CliIo } from "./io.js";
import { compileForCli } from "./policy-input.js";
import { parseRunArgs } from "./run-options.js";
import { runPlan } from "./sandbox-run.js";

export async function runMode(argv: readonly string[], io: CliIo, usage: string): Promise<number> {
  const parsed = parseRunArgs(argv);
  if (!parsed.ok) {
    io.err(`srt: ${parsed.message}\n\n${usage}`);
    return exitStatus.usage;
  }
  const o = parsed.options;
  if (o.proxies !== undefined) {
    io.err(`srt: --proxies is for srt exec (commands wrapped by a library sandbox)\n`);
    return exitStatus.usage;
  }
  if (o.allowWritablePlan) {
    io.err(`srt: --allow-writable-plan is for srt exec (this mode compiles its plan in memory)\n`);
    return exitStatus.usage;
  }
  // macOS: Seatbelt through sandbox-exec (src/cli/macos-run.ts; not run on a Mac from here).
  if (io.platform === "darwin") return (await import("./macos-run.js")).runMacosMode(o, io);
  if (io.platform !== "linux") {
    io.err(`${failureLine({ code: "SRT509", message: `running commands is implemented for Linux only so far (this is ${io.platform})` })}\n`);
    return exitStatus.runtime;
  }
  const t0 = performance.now();
  // The violations file is protected by the policy itself: srt appends to it after the command ran.
  const { policy } = compileForCli({ settings: o.settings, ...(o.violations === undefined ? {} : { outputs: [{ path: resolve(io.cwd, o.violations), rule: "violations-file" as const }] }) }, io, "linux");
  if (policy === undefined) return exitStatus.usage;
  const plan = lowerLinuxPlan(policy, hostSeccompArch());
  if (o.debug || io.env["SRT_DEBUG"] === "1") io.err(`srt: compiled ${plan.source} in ${(performance.now() - t0).toFixed(1)} ms\n`);
  return runPlan({ plan, command: o.command, debug: o.debug, quiet: o.quiet, violations: o.violations, controlFd: o.controlFd }, io);
}
