/**
 * Shared by `srt exec plan.json -- cmd` and the run mode: run a Linux plan,
 * forward the signals the CLI entry hands over, report, and turn the result
 * into srt's exit status. A signal srt itself received makes the status
 * 128+N even if the command exits 0 on it: srt was interrupted (DESIGN §6).
 */
import { resolve } from "node:path";
import type { LinuxPlan } from "../backends/bwrap/index.js";
import { findTools, runLinux, statusOfSignal } from "../runtime/linux/index.js";
import { startLinuxNetwork } from "../runtime/linux-network.js";
import { renderChecks, runPreflight } from "./doctor.js";
import { awaitForwardingSignals } from "./forward-signals.js";
import { exitStatus, type CliIo } from "./io.js";

export interface SandboxRunArgs {
  readonly plan: LinuxPlan;
  readonly command: readonly string[];
  readonly debug: boolean;
  readonly quiet: boolean;
  readonly violations?: string | undefined;
  readonly controlFd?: number | undefined;
  readonly proxies?: string | undefined;
}

export async function runPlan(args: SandboxRunArgs, io: CliIo): Promise<number> {
  if (io.platform !== "linux") {
    io.err(`srt: running commands is implemented for Linux only so far (this is ${io.platform}); \`srt compile --target macos\` prints the Seatbelt profile\n`);
    return exitStatus.runtime;
  }
  if (args.controlFd !== undefined && args.proxies !== undefined) {
    io.err("srt: --control-fd changes srt's own proxies; with --proxies the sandbox that owns them is updated instead\n");
    return exitStatus.usage;
  }
  let control: import("./control-fd.js").ControlChannel | undefined;
  if (args.controlFd !== undefined) {
    const opened = (await import("./control-fd.js")).openControlFd(args.controlFd, io);
    if (!opened.ok) {
      io.err(`srt: --control-fd ${args.controlFd}: ${opened.message}\n`);
      return exitStatus.usage;
    }
    control = opened.channel;
  }
  // A live policy may open what the first one closed: proxies and bridges from the start.
  const plan: LinuxPlan = control || args.proxies !== undefined ? { ...args.plan, network: { ...args.plan.network, proxies: true } } : args.plan;
  let live = plan.network.policy;
  const debug = args.debug || io.env["SRT_DEBUG"] === "1";
  control?.start((n, lineNo) => {
    live = { ...live, rules: n.rules, deniedResolvedAddresses: n.deniedResolvedAddresses };
    // The acknowledgement a caller (or a test) can wait for instead of guessing how long applying takes.
    if (debug) io.err(`srt: --control-fd ${args.controlFd}: line ${lineNo} applied\n`);
  });
  const found = findTools(plan.network.proxies, io.env["PATH"]);
  if (!found.ok) {
    io.err(`srt: ${found.message}\nsrt: the command did not run.\n`);
    control?.close();
    return exitStatus.runtime;
  }
  if (debug) io.err(`srt: plan ${plan.source}: ${plan.bwrap.length} bwrap args, ${plan.placeholders.length} placeholders, seccomp ${plan.seccomp.instructions} insns, network ${plan.network.proxies ? "via proxies" : "none"}\n`);
  const network = startLinuxNetwork({ quiet: args.quiet, violations: args.violations, err: io.err, command: args.command, ...(control ? { policy: () => live } : {}) });
  const startNetwork = args.proxies === undefined ? network.start : (await import("./external-proxies.js")).externalProxies(resolve(io.cwd, args.proxies));
  const running = runLinux({
    plan,
    command: args.command,
    env: io.env,
    tools: found.tools,
    uid: io.uid,
    gid: io.gid,
    startNetwork,
    // The CLI's inherited fds are its caller's leftovers: close them rather than pass them in.
    inheritedFds: "close",
    // If srt is SIGKILLed, its watchdog runs this to release the run's placeholders.
    ...(process.argv[1] ? { cleanupCommand: [process.execPath, process.argv[1], "__cleanup"] } : {}),
    ...(debug ? { log: (l: string) => io.err(l + "\n") } : {}),
  });
  try {
    const { result, received } = await awaitForwardingSignals(io, running);
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
    control?.close();
  }
}
