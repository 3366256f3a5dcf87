/**
 * The launch phase of a run (run.ts): from "nothing runs yet" to "the
 * command may start". In order (the protection watch already runs):
 *   1. inherited fds are closed (or the run refused), then bwrap is spawned
 *      with the plan's options (planOptions, the backend's one builder) and
 *      the seccomp program, both through pipes (spawn-bwrap.ts);
 *   2. unprivileged with a bridge: bwrap reports its child on the info fd and
 *      waits on the userns-block fd; the identity maps are written, then one
 *      byte says so (userns.ts);
 *   3. the status fd names the sandbox's pid, or ends without one when bwrap
 *      could not set the sandbox up (then nothing more happens here);
 *   4. with a network: the bridges listen inside the sandbox's namespace, and
 *      only then the last byte on the block fd lets the command start; a
 *      signal forwarded before the sandbox existed is delivered now.
 * What is taken goes into `held` at once (cleanup.ts undoes it).
 */
import type { LinuxPlan } from "../../backends/bwrap/index.js";
import { planOptions } from "../../backends/bwrap/index.js";
import { applyEnvPolicy } from "../../compiler/env-policy.js";
import { bridgeKind, startBridges } from "./bridge.js";
import type { Held } from "./cleanup.js";
import type { LinuxDeps, SpawnedChild, StdioSlot } from "./deps.js";
import type { InheritedFdPolicy } from "./inherited-fds.js";
import type { RunDir } from "./run-dir.js";
import type { NetworkSession } from "./run.js";
import type { SandboxSignals } from "./signals.js";
import { spawnBwrap } from "./spawn-bwrap.js";
import { readInfoPid, readStatus, type StatusStream } from "./status-fd.js";
import type { LinuxTools } from "./tools.js";
import { RuntimeFailure } from "../failure.js";
import { mapUserNamespace } from "./userns.js";
import { readSupervisorReport, supervisorConfig, type SupervisorReport } from "./supervisor.js";
import { seccompBytes } from "./nul-fields.js";

export interface LaunchRequest {
  readonly plan: Pick<LinuxPlan, "bwrap" | "chdir" | "seccomp" | "env" | "supervisor" | "hostWrites">;
  readonly command: readonly string[];
  /** The caller's environment; the plan's env policy decides what passes. */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly tools: LinuxTools;
  readonly uid: number;
  readonly gid: number;
  readonly inheritedFds?: InheritedFdPolicy | undefined;
  readonly stdio?: readonly [StdioSlot, StdioSlot, StdioSlot] | undefined;
  readonly onSpawn?: ((child: SpawnedChild) => void) | undefined;
}

/** How bwrap ended: its status, or the error that kept it from starting. */
export interface BwrapEnd {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly error?: Error;
}

export interface Launched {
  /** Resolves once bwrap has exited or could not be started. */
  readonly exited: Promise<BwrapEnd>;
  readonly status: StatusStream;
  /** The sandbox's first process on the host; undefined when bwrap never started one. */
  readonly sandboxPid: number | undefined;
  /** What the supervisor said, once its report pipe ends. */
  readonly supervisor: Promise<SupervisorReport>;
}

export async function launchSandbox(
  os: LinuxDeps,
  req: LaunchRequest,
  run: RunDir,
  network: NetworkSession | undefined,
  held: Held,
  signals: SandboxSignals,
  log: (what: string) => void,
): Promise<Launched> {
  const mapUserNs = network !== undefined && req.uid !== 0;
  // Root: never without the private mount table (spawn-bwrap.ts); findTools looks unshare up for root.
  if (req.uid === 0 && req.tools.unshare === undefined)
    throw new RuntimeFailure(
      "SRT500",
      "unshare (util-linux) was not looked up for this root run; srt starts bwrap under it as root",
    );
  const seccomp = seccompBytes(req.plan.seccomp.base64);
  const proc = spawnBwrap(os, {
    bwrap: req.tools.bwrap,
    // Masked credential files, bound read-only over their denied originals: last, so they lie on top.
    options: [
      ...planOptions(req.plan, run.slots),
      ...(network?.binds ?? []).flatMap((b) => ["--ro-bind", b.source, b.dest]),
    ],
    supervisor: {
      path: req.tools.supervisor,
      config: supervisorConfig(req.plan.supervisor, seccomp, run.slots.tmp, [
        ...req.plan.hostWrites.roots,
        run.slots.tmp,
      ]),
    },
    command: req.command,
    env: commandEnv(req, run, network),
    cwd: "/",
    block: network !== undefined,
    mapUserNamespace: mapUserNs,
    ...(req.stdio === undefined ? {} : { stdio: req.stdio }),
    ...(req.inheritedFds === undefined ? {} : { inheritedFds: req.inheritedFds }),
    ...(req.uid === 0 && req.tools.unshare !== undefined ? { privateMounts: req.tools.unshare } : {}),
    ...(held.limits?.prefix === undefined ? {} : { limiter: held.limits.prefix }),
  });
  signals.bwrapSpawned(proc.child.pid);
  req.onSpawn?.(proc.child);
  const exited = new Promise<BwrapEnd>((resolve) => {
    proc.child.once("error", (error) => resolve({ code: null, signal: null, error }));
    proc.child.once("exit", (code, signal) => resolve({ code, signal }));
  });
  const status = readStatus(proc.status);
  const supervisor = readSupervisorReport(proc.reports, () => os.clock.date().toISOString());
  if (mapUserNs && proc.info) {
    const pid = await Promise.race([readInfoPid(proc.info), exited.then(() => undefined)]);
    if (pid !== undefined) {
      // The maps first, then the byte: bwrap goes on (and drops into the namespace) only after it.
      mapUserNamespace(os.fs, pid, req.uid, req.gid);
      proc.userNamespaceReady();
    }
  }
  const sandboxPid = await Promise.race([status.childPid, exited.then(() => status.childPid)]);
  if (sandboxPid !== undefined) signals.sandboxStarted(sandboxPid);
  if (sandboxPid !== undefined) held.limits?.startClock(() => signals.killAll());
  log(`sandbox pid ${sandboxPid ?? "none"}`);
  if (sandboxPid !== undefined && network !== undefined) {
    // findTools looks the bridge's programs up whenever the plan has network access.
    if (req.tools.bridge === undefined)
      throw new RuntimeFailure(
        "SRT500",
        "the proxy bridge (srt-bridge, or setpriv, nsenter and socat) was not looked up for this run",
      );
    log(`bridge: ${bridgeKind(req.tools.bridge)}`);
    // srt-bridge takes the tunnels of its own connections from the native relay: one copying hop.
    const oneHop = "native" in req.tools.bridge ? network.oneHop : undefined;
    if (oneHop !== undefined) log("bridge: srt-bridge copies this run's tunnels itself (one hop)");
    // bwrap (proc.child: unshare and the limits helper exec it) is the sandbox process's parent.
    held.bridges = await startBridges(
      os,
      sandboxPid,
      network.bridges,
      req.tools.bridge,
      mapUserNs,
      undefined,
      oneHop,
      proc.child.pid,
    );
    log("bridges listening");
    proc.release();
  }
  signals.deliverPending();
  return { exited, status, sandboxPid, supervisor };
}

/** The command's environment: the caller's as the plan's env policy lets it pass, the run's TMPDIR, the proxies' variables. */
export function commandEnv(
  req: Pick<LaunchRequest, "plan" | "env">,
  run: RunDir,
  network: NetworkSession | undefined,
): Record<string, string> {
  return {
    ...applyEnvPolicy(req.plan.env, definedOnly(req.env)).passed,
    TMPDIR: run.slots.tmp,
    SRT_SANDBOX: "1",
    ...network?.env,
  };
}

function definedOnly(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}
