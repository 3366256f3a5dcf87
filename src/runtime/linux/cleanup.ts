/**
 * The last phase of a run (run.ts), on every path — the command's end, a
 * failed step, a detached protection: release what the run holds on the host,
 * in the reverse order of taking it. Each phase puts what it takes into
 * `Held` the moment it exists, so this releases exactly that, whichever step
 * failed. A failure here is logged, never thrown: the next step must run, and
 * the run's result is already decided.
 */
import type { Bridges } from "./bridge.js";
import type { Janitor } from "./janitor.js";
import type { LimitsSession } from "./limits/enforce.js";
import { releaseRun, releaseRunAsync, type Registry, type RegistryOs } from "./placeholder-registry.js";
import type { ProtectionGuard } from "./protection-watch.js";
import type { NetworkSession } from "./run.js";
import type { SandboxSignals } from "./signals.js";

/** What a run has taken so far, filled in phase by phase. */
export interface Held {
  /** The run's registration (prepare.ts): its holds and the placeholders it created. */
  registry?: Registry;
  /** The watchdog and the private directories (prepare.ts). */
  janitor?: Janitor;
  network?: NetworkSession | undefined;
  /** The protection watch (launch.ts). */
  guard?: ProtectionGuard;
  /** The proxy bridges in the sandbox's network namespace (launch.ts). */
  bridges?: Bridges;
  /** The run's resource limits: its cgroup and wall-time timer (limits/enforce.ts). */
  limits?: LimitsSession | undefined;
}

export interface CleanupLog {
  /** A timed debug line. */
  step(what: string): void;
  /** A problem worth a line even though the run goes on. */
  problem(line: string): void;
}

/** soleRun: see RunRequest.soleRun (run.ts). */
export async function cleanUpRun(
  os: RegistryOs,
  held: Held,
  signals: SandboxSignals,
  log: CleanupLog,
  soleRun = false,
): Promise<void> {
  held.guard?.close();
  signals.close();
  held.bridges?.close();
  await held.network?.close();
  if (held.registry !== undefined) {
    try {
      if (soleRun) await releaseRunAsync(os, held.registry);
      else releaseRun(os, held.registry);
    } catch (e) {
      log.problem(`srt: placeholder cleanup: ${(e as Error).message}`);
    }
  }
  // Before the janitor dismisses the watchdog, which would otherwise remove the cgroup for a dead srt.
  for (const p of held.limits?.close() ?? []) log.problem(`srt: ${p}`);
  held.janitor?.cleanUp();
  log.step("cleaned up");
}
