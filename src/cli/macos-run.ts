/**
 * `srt [options] -- cmd` on macOS: compile the settings for macOS and run the
 * command under Seatbelt (runtime/macos). Same contract as on Linux: the
 * command's status, 128+N (macOS numbering) when srt itself was interrupted
 * by signal N, 1 when the sandbox could not be set up (the command did not
 * run), and the one-line reports on stderr unless -q.
 *
 * Written and unit-tested on Linux; it has NOT been run on macOS.
 */
import { darwinStatusOfSignal, nodeMacosDeps, runMacos, type MacosDeps } from "../runtime/macos/index.js";
import { awaitForwardingSignals } from "./forward-signals.js";
import { debugFromEnv, exitStatus, type CliIo } from "./io.js";
import { compileForRun } from "./policy-input.js";
import { commandToRun, type RunOptions } from "./run-options.js";
import { failureLine } from "../runtime/failure.js";
import { monotonicMs } from "../runtime/monotonic.js";

export async function runMacosMode(o: RunOptions, io: CliIo, deps: MacosDeps = nodeMacosDeps()): Promise<number> {
  if (o.controlFd !== undefined) {
    // It reopens the descriptor through /proc/self/fd, which macOS does not have.
    io.err("srt: --control-fd is implemented for Linux only so far\n");
    return exitStatus.usage;
  }
  const debug = o.debug || debugFromEnv(io.env);
  const t0 = monotonicMs();
  const { policy } = compileForRun(o, io, "macos");
  if (policy === undefined) return exitStatus.usage;
  if (debug) io.err(`srt: compiled ${policy.source} for macOS in ${(monotonicMs() - t0).toFixed(1)} ms\n`);
  const what = commandToRun(o);
  if (!what.ok) {
    io.err(`${failureLine({ code: "SRT520", message: what.message })}\nsrt: the command did not run.\n`);
    return exitStatus.runtime;
  }
  if (debug) io.err(`srt: shell ${what.shell.path} (${what.shell.why})\n`);
  const running = runMacos(
    {
      policy,
      command: what.argv,
      cwd: io.cwd,
      env: io.env,
      violations: o.violations,
      ...(debug ? { log: (l: string) => io.err(l + "\n") } : {}),
      // A masked variable passed unmasked (onExtractNoMatch "warn") is said even with -q.
      warn: (l: string) => io.err(l + "\n"),
    },
    deps,
  );
  const { result, received } = await awaitForwardingSignals(io, running);
  if (!o.quiet) for (const line of result.report) io.err(line + "\n");
  // Why denials may be missing (log stream refused to a non-admin user, say): worth knowing when
  // debugging, noise on every run otherwise; a write failure of --violations is always shown.
  if (debug) for (const note of result.notes) io.err(note + "\n");
  for (const error of result.errors) io.err(error + "\n");
  if (result.kind === "failed") {
    io.err(`${failureLine(result)}\n`);
    return exitStatus.runtime;
  }
  return received !== undefined ? darwinStatusOfSignal(received) : result.status;
}
