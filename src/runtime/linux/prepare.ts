/**
 * The first phase of a run (run.ts): everything the run keeps on the host,
 * made before anything is started. The plan must be for this state directory
 * (it hides that one); the state directory is checked (ours, 0700, no link);
 * the watchdog is told about the run directory before it exists; then the
 * run registers as holding every placeholder path its plan binds and creates
 * the missing ones, under the registry lock. Whatever exists is in `held`
 * before the next step, so cleanup.ts removes it if a later step fails.
 */
import type { LinuxPlan } from "../../backends/bwrap/index.js";
import { ensureStateDir, planStateDirMismatch } from "../state-dir.js";
import type { Held } from "./cleanup.js";
import type { LinuxDeps } from "./deps.js";
import { createJanitor } from "./janitor.js";
import { registerAndCreate } from "./placeholder-registry.js";
import { createRunDir, type RunDir } from "./run-dir.js";
import { RuntimeFailure } from "../failure.js";
import { linkedRootFailure } from "./root-identity.js";

export interface PrepareRequest {
  readonly plan: Pick<LinuxPlan, "context" | "placeholders" | "hostWrites">;
  readonly stateDir: string;
  readonly uid: number;
  /** The watchdog's shell. */
  readonly shell: string;
  /** `srt __cleanup`, without its two arguments (state directory, run id). */
  readonly cleanupCommand?: readonly string[] | undefined;
}

/** Throws (with the message to show) when the run cannot be set up; `held` then has what to undo. */
export function prepareRun(os: LinuxDeps, req: PrepareRequest, held: Held, log: (what: string) => void): RunDir {
  const mismatch = planStateDirMismatch(req.plan.context.stateDir, req.stateDir);
  if (mismatch !== undefined) throw new RuntimeFailure("SRT502", mismatch);
  // Before anything is made: placeholders are created by path, so a root swapped for a link since the
  // plan was compiled would get them where the link leads (the supervisor refuses such a run anyway,
  // after the mounts: native/srt-supervise/roots.c).
  for (const root of req.plan.hostWrites.roots) {
    const id = os.fs.rootIdentity(root);
    if (id.kind === "link") throw linkedRootFailure(root, id.at);
  }
  const registry = { state: ensureStateDir(os.fs, req.stateDir, req.uid), runId: os.runId(), uid: req.uid };
  held.registry = registry;
  const janitor = createJanitor(
    os,
    req.cleanupCommand ? [...req.cleanupCommand, registry.state, registry.runId] : [],
    req.shell,
  );
  held.janitor = janitor;
  const run = createRunDir(os.fs, registry.state, registry.runId, (path) => janitor.expectTree(path));
  // Every run registers, holding every placeholder path its plan binds — also one created by
  // another run: compiled while that placeholder existed, this run binds it as an ordinary file,
  // and its removal would detach this run's mount (the path becomes creatable inside).
  registerAndCreate(os, registry, req.plan.placeholders);
  log(`run dir ${run.path}, ${req.plan.placeholders.length} placeholders`);
  return run;
}
