/**
 * A warm Linux session: one plan, prepared once, any number of offline
 * commands. runLinux (run.ts) pays for the whole set-up at every command —
 * a watchdog process, a run directory, the placeholder registry under its
 * lock, the protection watch — which is most of a library command's cost
 * (measured 61 ms against 15 ms for bare bwrap). A session does those steps
 * once, when the library's sandbox is created, and per command only starts
 * bwrap (launch.ts) and waits for it (wait.ts).
 *
 * Only for commands without proxies: each network namespace needs its own
 * bridges, and those stay with runLinux.
 *
 * Commands started by someone else (the SandboxManager shim returns a shell
 * command and its caller spawns it, perhaps with spawnSync) get bwrap's
 * options and the seccomp program as two files in the session's run
 * directory, below srt's state directory, which every sandbox has hidden and
 * no policy may make writable (SRT308): `bwrap --args 3 … 3<args 4<seccomp`.
 * No Node starts for such a command. Removing the files (close(), or a
 * protection that detached) makes every such command fail to start: the
 * shell cannot open them, and bwrap never runs.
 *
 * The protection watch runs for the session's life. A detachment kills the
 * commands running at that moment (the spawned ones through their signals,
 * the external ones found by the marker in bwrap's argv) and reports a
 * violation; then the watch starts over from what is there now, because a
 * command started later mounts the path as it is then.
 */
import { join } from "node:path";
import { planOptions, type LinuxPlan } from "../../backends/bwrap/index.js";
import { ensureStateDir, planStateDirMismatch } from "../state-dir.js";
import { failed, failureOf, RuntimeFailure, type Failed } from "../failure.js";
import type { FileSystemViolation } from "../proxy/violations.js";
import type { Held } from "./cleanup.js";
import type { LinuxDeps, SpawnedChild, StdioSlot } from "./deps.js";
import { createJanitor, type Janitor } from "./janitor.js";
import { launchSandbox } from "./launch.js";
import { registerAndCreate, releaseRun, type Registry } from "./placeholder-registry.js";
import { detachmentMessage, violationOf, watchProtections, type ProtectionWatch } from "./protection-watch.js";
import { createRunDir, type RunDir } from "./run-dir.js";
import type { RunningSandbox, RunResult } from "./run.js";
import { createSandboxSignals, type SandboxSignals } from "./signals.js";
import { argsBytes } from "./spawn-bwrap.js";
import { supervisorConfig } from "./supervisor.js";
import { seccompBytes } from "./nul-fields.js";
import type { LinuxTools } from "./tools.js";
import { waitForSandbox } from "./wait.js";

export interface SessionRequest {
  readonly plan: LinuxPlan;
  readonly tools: LinuxTools;
  readonly uid: number;
  readonly gid: number;
  readonly stateDir: string;
  /** `srt __cleanup` without its two arguments, for the watchdog (see run.ts). */
  readonly cleanupCommand?: readonly string[] | undefined;
  /** Told each detachment (the commands running then were killed). */
  readonly onViolation?: (v: FileSystemViolation) => void;
}

export interface SessionCommand {
  readonly command: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdio?: readonly [StdioSlot, StdioSlot, StdioSlot] | undefined;
  readonly onSpawn?: ((child: SpawnedChild) => void) | undefined;
  readonly killGraceMs?: number | undefined;
  readonly inheritedFds?: "close" | "refuse" | undefined;
}

/**
 * What a caller needs to start bwrap itself: files it opens on fds 3 (bwrap's options) and 7 (the
 * supervisor's configuration, the seccomp program in it), fd 9 on /dev/null (the supervisor's
 * reports: an external command has no srt to read them, so its refused writes are not recorded),
 * and the argv around its command.
 */
export interface ExternalLaunch {
  /** bwrap's options (NUL-separated, `--args 3`). */
  readonly argsFile: string;
  /** srt-supervise's configuration (supervisor.ts), read from fd 7. */
  readonly configFile: string;
  /** `[file, ...args]` to put before `--` and the command: unshare for root, bwrap, the supervisor. */
  readonly prefix: readonly string[];
}

export interface LinuxSession {
  readonly runDir: RunDir;
  run(cmd: SessionCommand): RunningSandbox;
  /** Writes the two files on first use. Throws once the session is closed or broken. */
  external(): ExternalLaunch;
  close(): Promise<void>;
}

/** The marker in the argv of every externally started bwrap of a session, to find them on a detachment. */
export const sessionMarker = (runId: string): readonly string[] => ["--setenv", "SRT_SESSION", runId];

/** What a session needs of the machine beyond LinuxDeps (session-node.ts is the real one). */
export interface SessionOs {
  /** Host pids of the bwrap processes (exactly `bwrap`) whose argv holds `marker`. */
  findMarked(bwrap: string, marker: readonly string[]): readonly number[];
  /** Creates `path` (it must not exist) with these bytes and mode. */
  writeBytes(path: string, bytes: Uint8Array, mode: number): void;
}

export function openLinuxSession(os: LinuxDeps, req: SessionRequest, sos: SessionOs): LinuxSession {
  if (req.plan.network.proxies) throw new Error("a session runs offline commands only (network runs bridge per run)");
  const mismatch = planStateDirMismatch(req.plan.context.stateDir, req.stateDir);
  if (mismatch !== undefined) throw new RuntimeFailure("SRT502", mismatch);
  const registry: Registry = { state: ensureStateDir(os.fs, req.stateDir, req.uid), runId: os.runId(), uid: req.uid };
  const janitor: Janitor = createJanitor(
    os,
    req.cleanupCommand ? [...req.cleanupCommand, registry.state, registry.runId] : [],
    req.tools.sh,
  );
  let watch: ProtectionWatch | undefined;
  let runDir: RunDir;
  try {
    runDir = createRunDir(os.fs, registry.state, registry.runId, (p) => janitor.expectTree(p));
    registerAndCreate(os, registry, req.plan.placeholders);
  } catch (e) {
    release();
    throw e;
  }
  interface Running {
    readonly signals: SandboxSignals;
    broken?: Failed & { readonly violation: FileSystemViolation };
    result?: Promise<RunResult>;
  }
  const running = new Set<Running>();
  let closed = false;
  let external: ExternalLaunch | undefined;
  let tmpCount = 0;

  function release(): void {
    watch?.close();
    try {
      releaseRun(os, registry);
    } finally {
      janitor.cleanUp();
    }
  }

  const startWatch = (): void => {
    watch = watchProtections(req.plan.detachable, os.watch, (d) => {
      // Kill first: every moment counts while the path is unprotected.
      const broken = { ...failed("SRT505", detachmentMessage(d)), violation: violationOf(d, os.clock.date()) };
      for (const r of running) {
        r.broken ??= broken;
        r.signals.killAll();
      }
      const marked = sos.findMarked(req.tools.bwrap, sessionMarker(registry.runId));
      for (const pid of marked) {
        try {
          os.kill(pid, "SIGKILL"); // --die-with-parent takes the sandbox with it
        } catch {
          // Gone already.
        }
      }
      if (running.size > 0 || marked.length > 0) req.onViolation?.(broken.violation);
      watch?.close();
      // A later command mounts the path as it is now: compare with that from here on.
      if (!closed) queueMicrotask(startWatch);
    });
  };
  startWatch();

  return {
    get runDir() {
      return runDir;
    },
    run(cmd) {
      if (closed) throw new Error("this sandbox is closed");
      const signals = createSandboxSignals(os, cmd.killGraceMs ?? 10_000);
      const entry: Running = { signals };
      running.add(entry);
      // A private TMPDIR per command, inside the session's directory (the watchdog removes it with the rest).
      const tmp = join(runDir.path, `t${++tmpCount}`);
      const result = (async (): Promise<RunResult> => {
        const held: Held = {};
        let made = false;
        try {
          os.fs.mkdir(tmp, 0o700);
          made = true;
          const run: RunDir = { ...runDir, slots: { ...runDir.slots, tmp } };
          const launched = await launchSandbox(
            os,
            { plan: req.plan, tools: req.tools, uid: req.uid, gid: req.gid, ...cmd },
            run,
            undefined,
            held,
            signals,
            () => undefined,
          );
          return await waitForSandbox(
            os,
            launched,
            { pidNamespace: req.plan.pidNamespace, bwrap: req.tools.bwrap, supervisor: req.plan.supervisor, tmp },
            { failure: () => entry.broken },
            () => undefined,
          );
        } catch (e) {
          signals.killAll();
          return entry.broken ?? failureOf(e, "SRT508");
        } finally {
          signals.close();
          running.delete(entry);
          if (made) os.fs.removeTree(tmp);
        }
      })();
      entry.result = result;
      return { forward: signals.forward, result };
    },
    external() {
      if (closed) throw new Error("this sandbox is closed");
      if (external === undefined) {
        const argsFile = join(runDir.path, "bwrap-args");
        const configFile = join(runDir.path, "supervisor-config");
        const args = argsBytes([
          ...planOptions(req.plan, runDir.slots),
          "--setenv",
          "TMPDIR",
          runDir.slots.tmp,
          "--setenv",
          "SRT_SANDBOX",
          "1",
        ]);
        sos.writeBytes(argsFile, args, 0o400);
        const bpf = seccompBytes(req.plan.seccomp.base64);
        const bound = [...req.plan.hostWrites.roots, runDir.slots.tmp];
        sos.writeBytes(configFile, supervisorConfig(req.plan.supervisor, bpf, runDir.slots.tmp, bound), 0o400);
        // bwrap's command is the supervisor, as in every run (spawn-bwrap.ts): it installs the filter.
        const bwrap = [
          req.tools.bwrap,
          "--args",
          "3",
          ...sessionMarker(registry.runId),
          "--",
          req.tools.supervisor,
          "7",
          "9",
        ];
        const prefix =
          req.uid === 0
            ? req.tools.unshare === undefined
              ? undefined
              : [req.tools.unshare, "--mount", "--propagation", "private", "--", ...bwrap]
            : bwrap;
        if (prefix === undefined)
          throw new RuntimeFailure(
            "SRT500",
            "unshare (util-linux) was not looked up for this root run; srt starts bwrap under it as root",
          );
        external = { argsFile, configFile, prefix };
      }
      return external;
    },
    async close() {
      if (closed) return;
      closed = true;
      // First: a command started from here on cannot open them, so bwrap never runs.
      if (external !== undefined) for (const f of [external.argsFile, external.configFile]) os.fs.removeTree(f);
      const results = [...running].map((r) => (r.signals.killAll(), r.result));
      await Promise.all(results);
      release();
    },
  };
}
