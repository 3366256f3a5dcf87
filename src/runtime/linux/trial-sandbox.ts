/**
 * `srt doctor`'s test sandbox is the sandbox a run really gets, not a
 * look-alike: the default policy compiled for a scratch directory (as
 * `srt -- true` would compile it there) and started by runLinux — the same
 * argument builder, seccomp program, pipes, state directory, registry and
 * handshake as every run — running `true`. A hand-written bwrap line could
 * pass where runs fail (it had no --args pipe, no --cap-drop, no masks, no
 * state directory) or fail where they pass.
 *
 * The policy's working directory and home are two directories in a scratch
 * directory (a home that is also the writable working directory is refused,
 * SRT320), so the placeholders a run creates land there and nothing appears
 * in the user's own home or project. bwrap's message (its stderr, the command's stderr slot) is kept
 * for the diagnosis.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { lowerLinuxPlan } from "../../backends/bwrap/index.js";
import type { SeccompArch } from "../../backends/seccomp/index.js";
import { compileSettings } from "../../compiler/index.js";
import { createNodeHost } from "../node-host.js";
import { runLinux, type RunResult } from "./run.js";
import type { LinuxTools } from "./tools.js";

export interface TrialInput {
  readonly tools: LinuxTools;
  readonly arch: SeccompArch;
  readonly uid: number;
  readonly gid: number;
  readonly stateDir: string;
  /** The environment a run would get (the default policy's env rules apply). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** As for a run: `srt __cleanup`, for the watchdog if srt dies meanwhile. */
  readonly cleanupCommand?: readonly string[] | undefined;
}

export type TrialOutcome =
  | { readonly ran: true; readonly result: RunResult; readonly stderr: string }
  /** It could not even be compiled (the message says why); nothing was started. */
  | { readonly ran: false; readonly message: string };

const STDERR_LIMIT = 16 * 1024;

export async function runTrialSandbox(input: TrialInput): Promise<TrialOutcome> {
  let scratch: string;
  try {
    scratch = mkdtempSync(join(tmpdir(), "srt-doctor-"));
  } catch (e) {
    return { ran: false, message: `cannot make a scratch directory in ${tmpdir()}: ${(e as Error).message}` };
  }
  try {
    const cwd = join(scratch, "work");
    const home = join(scratch, "home");
    for (const d of [cwd, home]) mkdirSync(d, { mode: 0o700 });
    const compiled = compileSettings({
      text: undefined,
      file: "default",
      host: createNodeHost({ cwd, home, env: input.env, stateDir: input.stateDir }),
      target: "linux",
    });
    if (compiled.policy === undefined)
      return {
        ran: false,
        message: `the default policy does not compile here: ${compiled.diagnostics.map((d) => `${d.code} ${d.message}`).join("; ")}`,
      };
    let stderr = "";
    let stderrDone: Promise<unknown> = Promise.resolve();
    const running = runLinux({
      plan: lowerLinuxPlan(compiled.policy, input.arch),
      command: ["true"],
      env: input.env,
      tools: input.tools,
      uid: input.uid,
      gid: input.gid,
      stateDir: input.stateDir,
      stdio: ["ignore", "ignore", "pipe"],
      onSpawn: (child) => {
        const err = child.stderr;
        if (err === null) return;
        err.setEncoding("utf8").on("data", (d: string) => void (stderr = (stderr + d).slice(-STDERR_LIMIT)));
        // bwrap's exit can be reported before the last of its message is read.
        stderrDone = Promise.race([
          new Promise((r) => err.once("close", r).once("end", r)),
          new Promise((r) => setTimeout(r, 2000).unref()),
        ]);
      },
      ...(input.cleanupCommand === undefined ? {} : { cleanupCommand: input.cleanupCommand }),
    });
    const result = await running.result;
    await stderrDone;
    return { ran: true, result, stderr: stderr.trim() };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
