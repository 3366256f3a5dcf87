/**
 * Runs a command under an OCI plan with runc: the same phases as the bwrap
 * runner, by the same code (runPhases in ../linux/run.ts: prepare, limits,
 * network, watch, cleanup); launch and wait are runc's, here.
 *
 * The container's process is srt's supervisor (instantiateOci: bound
 * read-only at /.srt-supervise, its configuration and report pipes on fds 3
 * and 4 through `runc run --preserve-fds 2`), which installs srt's seccomp
 * program with its listener and then runs the command, as under bwrap; runc
 * installs no filter of its own. A run that never heard "ready" is SRT511.
 *
 * Launch: the bundle is written into the run directory and `runc run` starts
 * the container in the foreground (its status is the command's; runc
 * forwards signals to it). The network hand-shake is a `createRuntime` hook:
 * runc runs it once the container's namespaces exist and before the command
 * is executed; it hands srt the container's state (its pid) and waits for a
 * file srt creates when srt's proxy bridges listen inside the container's
 * network namespace (../linux/bridge.ts: srt-bridge enters it, as for bwrap).
 * So the command's first connection cannot race the bridge, and the only way
 * out of the container's namespace (which has nothing but `lo`) is srt's
 * proxies.
 *
 * runc does not die with its parent. The watchdog is told runc's process
 * group: if srt is SIGKILLed it kills runc and the container's pid 1 (the pid
 * namespace ends with it), then removes the run directory, runc's state
 * included. After a normal run runc has deleted the container itself (with
 * limits it keeps it, `--keep`, until srt has read the cgroup's counters);
 * otherwise `runc delete --force` is run here.
 */
import { constants } from "node:os";
import type { Readable, Writable } from "node:stream";
import type { OciEngine, OciPlan } from "../../backends/oci/index.js";
import { instantiateOci, ociLimitFields, supervisorFds } from "../../backends/oci/index.js";
import type { Held } from "../linux/cleanup.js";
import type { LinuxDeps, SpawnedChild, StdioSlot } from "../linux/deps.js";
import { ipcChannelFds } from "../linux/inherited-fds.js";
import { commandEnv } from "../linux/launch.js";
import { nodeLinuxDeps } from "../linux/node-deps.js";
import { runPhases, type RunRequest, type RunningSandbox } from "../linux/run.js";
import type { RunDir } from "../linux/run-dir.js";
import { createSandboxSignals, type SandboxSignals } from "../linux/signals.js";
import { bridgeKind, startBridges, type BridgeTools } from "../linux/bridge.js";
import { failed, RuntimeFailure } from "../failure.js";
import { readSupervisorReport, supervisorConfig, type SupervisorReport } from "../linux/supervisor.js";
import { supervisedResult } from "../linux/wait.js";
import { writeBundle, type BundleFs } from "./bundle.js";
import { removeRunCgroups, runCgroupName } from "./cgroups.js";

export interface OciTools {
  /** The OCI runtime's binary: runc's, or crun's (the same command line). */
  readonly runc: string;
  /** Which one it is (default runc): crun has no `run --keep`, and refuses `rro` on a file. */
  readonly engine?: OciEngine;
  /** The watchdog's and the hook's shell. */
  readonly sh: string;
  /** The hook waits for srt's go-ahead with it. */
  readonly sleep: string;
  /** srt's supervisor (native/srt-supervise): the container's process, as it is bwrap's command. */
  readonly supervisor: string;
  readonly bridge?: BridgeTools;
}

export interface OciRunRequest extends Omit<RunRequest, "plan" | "tools" | "onSpawn"> {
  readonly plan: OciPlan;
  readonly tools: OciTools;
}

/** The createRuntime hook: hands over runc's state, then waits until srt says go (or runc's timeout kills it). */
const hookScript = `IFS= read -r s || [ -n "$s" ] || exit 1
printf '%s\\n' "$s" > "$1" || exit 1
: > "$2" || exit 1
while [ ! -e "$3" ]; do "$4" 0.005; done`;

const hookTimeoutSeconds = 60;

export function runOci(req: OciRunRequest, os: LinuxDeps = nodeLinuxDeps(), bundleFs?: BundleFs): RunningSandbox {
  const t0 = os.clock.now();
  const log = (what: string): void => req.log?.(`srt: ${(os.clock.now() - t0).toFixed(1)} ms ${what}`);
  const signals = createSandboxSignals(os, req.killGraceMs ?? 10_000);
  let container: Container | undefined;
  const result = runPhases(os, { ...req, shell: req.tools.sh }, signals, log, {
    // The limits bwrap gets, decided the same way (SRT550 when one cannot hold, unless bestEffort).
    // runc: memory, pids and cpu as linux.resources in the cgroup runc makes where srt's own would be.
    // crun: srt's own run cgroup, as bwrap's, joined before crun executes (its cgroup manager off).
    // Both: the rlimits as process.rlimits; wallTime is srt's timer.
    limits: { engine: { runtime: req.tools.engine ?? "runc", rootless: req.uid !== 0 } },
    failureCode: "SRT545",
    async launchAndWait(run, held) {
      container = await launchRunc(os, bundleFs ?? (await nodeBundleFs()), req, run, held, signals, log);
      const end = await container.exited;
      log(`${req.tools.engine ?? "runc"} exited (${end.signal ?? end.code})`);
      const broken = held.guard?.failure();
      if (broken) return broken;
      if (end.error) return failed("SRT545", `cannot start ${req.tools.runc}: ${end.error.message}`);
      const setup = container.setupError();
      if (setup !== undefined)
        return failed("SRT545", `${req.tools.engine ?? "runc"} could not set up the container: ${setup}`);
      const code = end.code ?? (end.signal ? 128 + (constants.signals[end.signal] ?? 15) : 1);
      return supervisedResult(os, container.supervisor, code, { supervisor: req.plan.supervisor, tmp: run.slots.tmp });
    },
    release: async () => container?.remove(),
  });
  return { forward: signals.forward, result };
}

interface Container {
  /** What srt's supervisor said, once its report pipe ends. */
  readonly supervisor: Promise<SupervisorReport>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>;
  /** runc's own error when it failed before the command ran, else undefined. */
  setupError(): string | undefined;
  /** `runc delete --force` when runc left the container behind (it was killed), then its cgroups. */
  remove(): Promise<void>;
}

async function launchRunc(
  os: LinuxDeps,
  fs: BundleFs,
  req: OciRunRequest,
  run: RunDir,
  held: Held,
  signals: SandboxSignals,
  log: (what: string) => void,
): Promise<Container> {
  const bundle = `${run.path}/bundle`;
  const runcRoot = `${run.path}/runc`;
  const runcLog = `${run.path}/runc.log`;
  const id = `srt-${run.id}`;
  const statePath = `${run.path}/oci-state`;
  const ready = `${run.path}/oci-ready`;
  const go = `${run.path}/oci-go`;
  const engine: OciEngine = req.tools.engine ?? "runc";
  // runc's cgroup holds the limits (linux.resources); crun's cgroup manager is off, it stays in srt's.
  const limited = (held.limits?.cgroupLimits.length ?? 0) > 0;
  const concrete = instantiateOci(req.plan.oci, {
    command: req.command,
    env: commandEnv(req, run, held.network),
    slots: run.slots,
    bundle,
    uid: req.uid,
    gid: req.gid,
    // With limits, below srt's own cgroup (relative to runc's, which is srt's), where srt reads the counters.
    ...(engine === "runc" ? { cgroupsPath: limited ? runCgroupName(run.id) : `/${runCgroupName(run.id)}` } : {}),
    supervisor: { source: req.tools.supervisor },
    ...(engine === "crun" ? { isFile: (p: string) => isRegularFile(os, p) } : {}),
    binds: held.network?.binds ?? [],
    // What the run decided holds here, in the spec's terms: the compiled bundle's lowering.
    ...ociLimitFields(held.limits?.applied ?? { resources: {}, rlimits: [] }),
    exists: (p) => {
      try {
        os.fs.lstat(p);
        return true;
      } catch {
        return false;
      }
    },
    hooks: {
      createRuntime: [
        {
          path: req.tools.sh,
          args: ["sh", "-c", hookScript, "sh", statePath, ready, go, req.tools.sleep],
          timeout: hookTimeoutSeconds,
        },
      ],
    },
  });
  try {
    writeBundle(fs, bundle, concrete);
  } catch (e) {
    throw new RuntimeFailure("SRT546", `${bundle}: ${(e as Error).message}`);
  }
  if (concrete.skipped.length > 0) log(`not mounted (missing, could not be created): ${concrete.skipped.join(" ")}`);
  os.inheritedFds(ipcChannelFds(os.env), req.inheritedFds ?? "close");
  const runcArgv = [
    // crun makes no cgroup: the container stays in srt's (the run's, with limits), whose counters srt reads.
    ...(engine === "crun" ? ["--cgroup-manager=disabled"] : []),
    "--root",
    runcRoot,
    "--log",
    runcLog,
    "--log-format",
    "json",
    "run",
    // The supervisor's configuration and report pipes: the container's fds 3 and 4.
    "--preserve-fds",
    "2",
    // With limits the container (and its cgroup's counters) stays until srt has read them; remove() deletes it.
    ...(limited && engine === "runc" ? ["--keep"] : []),
    "--bundle",
    bundle,
    id,
  ];
  const prefix = held.limits?.prefix;
  const [file, argv] =
    prefix === undefined || prefix.length === 0
      ? [req.tools.runc, runcArgv]
      : [prefix[0]!, [...prefix.slice(1), "--", req.tools.runc, ...runcArgv]];
  const seccomp = Uint8Array.from(atob(req.plan.seccomp.base64), (c) => c.charCodeAt(0));
  const child: SpawnedChild = os.spawn(file, argv, {
    stdio: [...(req.stdio ?? (["inherit", "inherit", "inherit"] as const)), "pipe", "pipe"] as StdioSlot[],
    env: {},
    cwd: bundle,
    // Its own process group: the watchdog kills it whole if srt dies; a terminal's ^C reaches srt, which forwards it.
    detached: true,
  });
  const configPipe = child.stdio[supervisorFds.config] as Writable | null | undefined;
  configPipe?.on("error", () => undefined); // EPIPE: runc died first; its exit says why
  // runc binds each writable root (and the temp directory) as a mount of its own, as bwrap does.
  configPipe?.end(
    supervisorConfig(req.plan.supervisor, seccomp, run.slots.tmp, [...req.plan.hostWrites.roots, run.slots.tmp]),
  );
  const supervisor = readSupervisorReport(child.stdio[supervisorFds.report] as Readable, () =>
    os.clock.date().toISOString(),
  );
  if (child.pid !== undefined) held.janitor?.expectGroup(child.pid);
  signals.bwrapSpawned(child.pid);
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
    child.once("error", (error) => resolve({ code: null, signal: null, error }));
    child.once("exit", (code, signal) => resolve({ code, signal }));
  }).finally(() => {
    done = true;
    if (child.pid !== undefined) held.janitor?.groupGone(child.pid);
  });
  let started = false;
  const container: Container = {
    supervisor,
    exited,
    setupError() {
      // runc logs an error only when it failed itself; a command's own failure is just its status.
      return runcLogError(os, runcLog) ?? (started ? undefined : "it exited before the container existed");
    },
    async remove() {
      try {
        os.fs.lstat(`${runcRoot}/${id}`);
      } catch {
        return; // runc deleted the container (and its cgroups) when it ended
      }
      const deleting = os.spawn(req.tools.runc, ["--root", runcRoot, "delete", "--force", id], {
        stdio: ["ignore", "ignore", "ignore"],
      });
      await new Promise<void>((resolve) => {
        deleting.once("exit", () => resolve());
        deleting.once("error", () => resolve());
      });
      if (req.uid === 0) for (const left of removeRunCgroups(os.fs, os.clock, run.id)) log(`cgroup left: ${left}`);
    },
  };
  // The hook names the container's pid once its namespaces exist.
  for (;;) {
    if (done) return container;
    try {
      os.fs.lstat(ready);
      break;
    } catch {
      await Promise.race([os.clock.delay(2), exited]);
    }
  }
  const pid = (JSON.parse(os.fs.readFile(statePath)) as { pid?: unknown }).pid;
  if (typeof pid !== "number" || !Number.isInteger(pid) || pid <= 1)
    throw new RuntimeFailure("SRT545", `runc's state names no container pid: ${String(pid)}`);
  // runc's init makes the container's pid 1 a session leader of its own: the watchdog kills that group
  // too (the PID namespace ends with pid 1); given up once runc, which reaps it, has ended.
  held.janitor?.expectGroup(pid);
  void exited.then(() => held.janitor?.groupGone(pid));
  signals.sandboxStarted(pid);
  held.limits?.startClock(() => signals.killAll());
  log(`container pid ${pid}`);
  if (held.network !== undefined) {
    if (req.tools.bridge === undefined)
      throw new RuntimeFailure(
        "SRT500",
        "the proxy bridge (srt-bridge, or setpriv, nsenter and socat) was not looked up for this run",
      );
    log(`bridge: ${bridgeKind(req.tools.bridge)}`);
    held.bridges = await startBridges(os, pid, held.network.bridges, req.tools.bridge, req.uid !== 0);
    log("bridges listening");
  }
  started = true;
  os.fs.writeFile(go, "", 0o600);
  signals.deliverPending();
  return container;
}

function isRegularFile(os: LinuxDeps, path: string): boolean {
  try {
    // lstat: a symlinked file keeps rro, which crun refuses (the run fails, never weaker).
    return os.fs.lstat(path).kind === "file";
  } catch {
    return false;
  }
}

/** The last error runc logged (its JSON log lines), if any. */
function runcLogError(os: LinuxDeps, path: string): string | undefined {
  let text: string;
  try {
    text = os.fs.readFile(path);
  } catch {
    return undefined;
  }
  let last: string | undefined;
  for (const line of text.split("\n")) {
    try {
      const entry = JSON.parse(line) as { level?: string; msg?: string };
      if (entry.level === "error" && typeof entry.msg === "string") last = entry.msg;
    } catch {
      // not a JSON line
    }
  }
  return last;
}

async function nodeBundleFs(): Promise<BundleFs> {
  const fs = await import("node:fs");
  return {
    mkdir: (p, mode) => fs.mkdirSync(p, { mode }),
    writeFile: (p, text, mode) => fs.writeFileSync(p, text, { mode, flag: "wx" }),
    symlink: (target, p) => fs.symlinkSync(target, p),
  };
}
