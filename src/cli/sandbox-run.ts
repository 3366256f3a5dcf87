/**
 * Shared by `srt exec plan.json -- cmd` and the run mode: run a Linux plan,
 * forward the signals the CLI entry hands over, report, and turn the result
 * into srt's exit status. A signal srt itself received makes the status
 * 128+N even if the command exits 0 on it: srt was interrupted (DESIGN §6).
 */
import type { LinuxPlan } from "../backends/bwrap/index.js";
import { findTools, runLinux, statusOfSignal } from "../runtime/linux/index.js";
import { startLinuxNetwork } from "../runtime/linux-network.js";
import { renderChecks, runPreflight } from "./doctor.js";
import { exitStatus, type CliIo } from "./io.js";

export interface SandboxRunArgs {
  readonly plan: LinuxPlan;
  readonly command: readonly string[];
  readonly debug: boolean;
  readonly quiet: boolean;
  readonly violations?: string | undefined;
}

export async function runPlan(args: SandboxRunArgs, io: CliIo): Promise<number> {
  if (io.platform !== "linux") {
    io.err(`srt: running commands is implemented for Linux only so far (this is ${io.platform}); \`srt compile --target macos\` prints the Seatbelt profile\n`);
    return exitStatus.runtime;
  }
  const found = findTools(args.plan.network.proxies, io.env["PATH"]);
  if (!found.ok) {
    io.err(`srt: ${found.message}\nsrt: the command did not run.\n`);
    return exitStatus.runtime;
  }
  const debug = args.debug || io.env["SRT_DEBUG"] === "1";
  if (debug) io.err(`srt: plan ${args.plan.source}: ${args.plan.bwrap.length} bwrap args, ${args.plan.placeholders.length} placeholders, seccomp ${args.plan.seccomp.instructions} insns, network ${args.plan.network.proxies ? "via proxies" : "none"}\n`);
  const network = startLinuxNetwork({ quiet: args.quiet, violations: args.violations, err: io.err, command: args.command });
  const running = runLinux({
    plan: args.plan,
    command: args.command,
    env: io.env,
    tools: found.tools,
    uid: io.uid,
    gid: io.gid,
    startNetwork: network.start,
    // If srt is SIGKILLed, its watchdog runs this to release the run's placeholders.
    ...(process.argv[1] ? { cleanupCommand: [process.execPath, process.argv[1], "__cleanup"] } : {}),
    ...(debug ? { log: (l: string) => io.err(l + "\n") } : {}),
  });
  let received: NodeJS.Signals | undefined;
  const stop = io.onSignals((signal) => {
    received ??= signal;
    running.forward(signal);
  });
  try {
    const result = await running.result;
    network.report();
    if (result.kind === "failed") {
      io.err(`srt: ${result.message}\n`);
      // The implicit preflight: say what about this machine is wrong, if anything.
      const failing = runPreflight(io).filter((c) => !c.ok);
      if (failing.length > 0) io.err(`srt doctor:\n${renderChecks(failing, true)}\n`);
      return exitStatus.runtime;
    }
    return received !== undefined ? statusOfSignal(received) : result.status;
  } finally {
    stop();
  }
}
