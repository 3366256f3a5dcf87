/**
 * Runs a command under Seatbelt on macOS: a private run dir (watchdog told
 * first), TLS termination's CA files and masked variables' sentinels when the
 * policy has them (tls.ts), srt's proxies on loopback ports the OS picks, the
 * policy lowered with those ports and a per-run tag, the profile written to a
 * file, `log stream` started for the tag, then `sandbox-exec -f <profile> -D
 * … -- cmd` in its own process group; signals forwarded to that group;
 * afterwards the log drained, denials and refusals reported, everything
 * removed (the CA files with the run dir).
 *
 * Every OS interaction comes through MacosDeps, so the whole path is
 * unit-tested on Linux with a fake spawn. NONE OF THIS HAS BEEN RUN ON macOS:
 * sandbox-exec's behaviour on a profile error, the log line format and the
 * timings are assumptions stated where they are used.
 *
 * There is no fallback: if sandbox-exec cannot be started the command does
 * not run (a runtime failure, status 1).
 */
import { lowerSeatbelt, paramsOf, renderSeatbelt } from "../../backends/seatbelt/index.js";
import { applyEnvPolicy } from "../../compiler/env-policy.js";
import type { Policy } from "../../compiler/ir.js";
import { directLoopback } from "../proxy/environment.js";
import type { ProxyNetworkPolicy } from "../proxy/index.js";
import { createDenialStore } from "./denials.js";
import type { MacosDeps, SpawnedProcess, StdioEntry } from "./deps.js";
import { buildMacosLaunch } from "./launch.js";
import { startLogWatch, type LogWatch } from "./log-watch.js";
import { startMacosNetwork, type MacosNetwork } from "./network.js";
import { createMacosRunDir, type MacosRunDir } from "./run-dir.js";
import { setUpMacosTls } from "./tls.js";
import { darwinStatusOfSignal, signalGroup } from "./signals.js";
import type { RuntimeCode } from "../../compiler/diagnostics.js";
import { failed, failureOf, type Failed } from "../failure.js";

export interface MacosRunRequest {
  readonly policy: Policy;
  readonly command: readonly string[];
  /** The command's working directory. */
  readonly cwd: string;
  /** The caller's environment; the policy's env rules decide what passes. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Append every refusal and denial here (JSON lines). */
  readonly violations?: string | undefined;
  /** The live network policy (read per request); default: the compiled one. */
  readonly live?: () => ProxyNetworkPolicy;
  readonly stdio?: readonly [StdioEntry, StdioEntry, StdioEntry];
  /** After a forwarded signal, how long the command may take before its group is killed. */
  readonly killGraceMs?: number;
  readonly logReadyTimeoutMs?: number;
  readonly logDrainMs?: number;
  /** Debug lines (timings, paths). */
  readonly log?: (line: string) => void;
  /** Lines the user must see before the command runs (a masked variable passed unmasked, say). */
  readonly warn?: (line: string) => void;
}

export type MacosRunResult = ({ readonly kind: "exited"; readonly status: number } | Failed) & {
  /** Summary lines to show (network refusals, sandbox denials), already filtered by ignoreViolations. */
  readonly report: readonly string[];
  /** Why the report may be incomplete (log unavailable): worth knowing when debugging. */
  readonly notes: readonly string[];
  /** What went wrong after the command ran and must always be shown (the --violations file could not be written). */
  readonly errors: readonly string[];
};

export interface RunningMacos {
  /** Forwards a signal to the command's process group (and kills the group after the grace period). */
  forward(signal: NodeJS.Signals): void;
  readonly result: Promise<MacosRunResult>;
}

export interface MacosRunner {
  run(request: MacosRunRequest): RunningMacos;
  /** Kills every running command and waits until each run has cleaned up. */
  close(): Promise<void>;
}

export function createMacosRun(deps: MacosDeps): MacosRunner {
  const active = new Set<RunningMacos>();
  return {
    run(request) {
      const running = runMacos(request, deps);
      active.add(running);
      void running.result.finally(() => active.delete(running));
      return running;
    },
    async close() {
      const all = [...active];
      for (const r of all) r.forward("SIGKILL");
      await Promise.all(all.map((r) => r.result));
    },
  };
}

export function runMacos(req: MacosRunRequest, deps: MacosDeps): RunningMacos {
  const t0 = deps.clock.now();
  const debug = (what: string): void => req.log?.(`srt: ${(deps.clock.now() - t0).toFixed(1)} ms ${what}`);
  let child: SpawnedProcess | undefined;
  let pending: NodeJS.Signals | undefined;
  let cancelKill: (() => void) | undefined;
  // Once the command is reaped its pid may be reused: from then on it is never signalled.
  let reaped = false;
  const group = (): number | undefined =>
    !reaped && child?.pid !== undefined && child.pid > 1 ? child.pid : undefined;

  const forward = (signal: NodeJS.Signals): void => {
    const pid = group();
    if (pid === undefined)
      pending ??= signal; // not started: it never will be
    else signalGroup(deps.kill, pid, signal);
    cancelKill ??= deps.clock.after(req.killGraceMs ?? 10_000, () => {
      const p = group();
      if (p !== undefined) signalGroup(deps.kill, p, "SIGKILL");
    });
  };

  const result = (async (): Promise<MacosRunResult> => {
    const report: string[] = [];
    const notes: string[] = [];
    const errors: string[] = [];
    const fail = (code: RuntimeCode, message: string): MacosRunResult => ({
      ...failed(code, message),
      report,
      notes,
      errors,
    });
    if (deps.platform !== "darwin")
      return fail("SRT509", `sandbox-exec runs on macOS only (this is ${deps.platform}); the command did not run`);
    const [command, ...args] = req.command;
    if (command === undefined || command === "") return fail("SRT508", "no command to run");
    let watchdog: ReturnType<MacosDeps["startWatchdog"]>;
    try {
      watchdog = deps.startWatchdog();
    } catch (e) {
      // Without it a killed srt would leave the command running: refuse rather than run unguarded.
      return fail("SRT508", `cannot start the cleanup watchdog: ${(e as Error).message}; the command did not run`);
    }
    const denials = createDenialStore();
    let run: MacosRunDir | undefined;
    let network: MacosNetwork | undefined;
    let logWatch: LogWatch | undefined;
    try {
      run = createMacosRunDir(deps.fs, deps.tmpdir, (path) => watchdog.expectTree(path));
      debug(`run dir ${run.path}`);
      const tls = await setUpMacosTls(req.policy.network, { deps, runDir: run.path, env: req.env });
      for (const w of tls?.warnings ?? []) req.warn?.(w);
      if (tls?.trustFiles !== undefined) debug(`srt's CA ${tls.trustFiles.ca}, trust bundle ${tls.trustFiles.bundle}`);
      network = await startMacosNetwork(await deps.proxies(), {
        network: req.policy.network,
        violationsFile: req.violations,
        ...(req.live === undefined ? {} : { live: req.live }),
        tls: tls?.terminator,
        masks: tls?.masks,
      });
      debug(
        `proxies: http 127.0.0.1:${network.ports.httpPort}${network.own.http ? "" : " (the policy's)"}, socks 127.0.0.1:${network.ports.socksPort}${network.own.socks ? "" : " (the policy's)"}`,
      );
      const tag = deps.tag();
      const profileText = renderSeatbelt(lowerSeatbelt(req.policy, { proxy: network.ports, tag }));
      // 0600 and created fresh (never through an existing file or link); the sandbox may read it, which tells it nothing the policy does not.
      deps.fs.writeNewFile(run.profile, profileText, 0o600);
      const launch = buildMacosLaunch({
        profileText,
        profilePath: run.profile,
        tmpDir: run.tmp,
        command,
        args,
        // The env policy has removed every denied and masked variable; the sentinels and the trust variables come back in.
        env: { ...applyEnvPolicy(req.policy.env, definedOnly(req.env)).passed, ...tls?.env, SRT_SANDBOX: "1" },
        proxyPorts: network.ports,
        noProxy: directLoopback(req.live?.() ?? req.policy.network),
        tag,
        params: paramsOf(req.policy),
        trustFiles: tls?.trustFiles,
      });
      logWatch = await startLogWatch({
        spawn: deps.spawn,
        clock: deps.clock,
        tag,
        env: definedOnly(req.env),
        onViolation: denials.record,
        ...(req.logReadyTimeoutMs === undefined ? {} : { readyTimeoutMs: req.logReadyTimeoutMs }),
        ...(req.logDrainMs === undefined ? {} : { drainMs: req.logDrainMs }),
      });
      debug(`log stream for tag ${tag}${logWatch.note() === undefined ? "" : ` (${logWatch.note()})`}`);
      if (pending !== undefined)
        return { kind: "exited", status: darwinStatusOfSignal(pending), report, notes, errors };
      const end = await spawnAndWait(
        deps,
        launch.file,
        launch.argv,
        { cwd: req.cwd, env: launch.env, stdio: req.stdio ?? ["inherit", "inherit", "inherit"], detached: true },
        (c) => {
          child = c;
          const pid = group();
          if (pid !== undefined) watchdog.expectGroup(pid);
          debug(`sandbox-exec pid ${c.pid ?? "none"}`);
        },
      );
      const pid = group();
      reaped = true;
      if (pid !== undefined) {
        // As on Linux, nothing the command started outlives it: its background jobs are in its
        // group, which lives on (and keeps its id) while any member does.
        signalGroup(deps.kill, pid, "SIGKILL");
        watchdog.groupGone(pid);
      }
      debug(`sandbox-exec exited (${end.error?.message ?? end.signal ?? end.code})`);
      if (end.error !== undefined)
        return fail(
          "SRT504",
          `cannot start ${launch.file}: ${end.error.message}; the command did not run (srt runs commands only under Seatbelt)`,
        );
      // sandbox-exec execs the command in place, so this is the command's own status.
      return {
        kind: "exited",
        status: end.code ?? (end.signal ? darwinStatusOfSignal(end.signal) : 1),
        report,
        notes,
        errors,
      };
    } catch (e) {
      const pid = group();
      if (pid !== undefined) signalGroup(deps.kill, pid, "SIGKILL");
      return { ...failureOf(e, "SRT508"), report, notes, errors };
    } finally {
      cancelKill?.();
      await logWatch?.stop();
      const logNote = logWatch?.note();
      if (logNote !== undefined) notes.push(logNote);
      const line = network?.summaryLine(req.policy.ignoreViolations, req.command);
      if (line !== undefined) report.push(line);
      const sandboxLine = denials.summaryLine(req.policy.ignoreViolations, req.command);
      if (sandboxLine !== undefined) report.push(sandboxLine);
      const writeError = await network?.close();
      if (req.violations !== undefined) {
        let failure: Error | undefined = writeError;
        try {
          if (denials.total() > 0) deps.fs.appendFile(req.violations, denials.jsonLines(), 0o600);
        } catch (e) {
          failure = e as Error;
        }
        if (failure) errors.push(`srt: could not write ${req.violations}: ${failure.message}`);
      }
      if (run !== undefined) deps.fs.removeTree(run.path);
      watchdog.dismiss();
      debug("cleaned up");
    }
  })();
  return { forward, result };
}

interface End {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly error?: Error;
}

/** Spawns without a shell and waits for exit or a spawn error (ENOENT arrives as an event, some errors as a throw). */
function spawnAndWait(
  deps: MacosDeps,
  file: string,
  argv: readonly string[],
  request: Parameters<MacosDeps["spawn"]>[2],
  spawned: (c: SpawnedProcess) => void,
): Promise<End> {
  let c: SpawnedProcess;
  try {
    c = deps.spawn(file, argv, request);
  } catch (e) {
    return Promise.resolve({ code: null, signal: null, error: e as Error });
  }
  const ended = new Promise<End>((resolve) => {
    c.once("error", (error) => resolve({ code: null, signal: null, error }));
    c.once("exit", (code, signal) => resolve({ code, signal }));
  });
  spawned(c);
  return ended;
}

function definedOnly(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}
