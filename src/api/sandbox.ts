/**
 * createSandbox(): one policy, its private directory and (when it reaches
 * the network) its long-lived proxies, and any number of commands run under
 * it — an instance, no globals, so two sandboxes with different policies
 * live side by side in one process.
 *
 * Two kinds of command. **Offline** ones (the policy allows no host, no
 * askCallback, and the settings do not spell `network.allowedDomains`) run in
 * a warm session (src/runtime/linux/session.ts): prepared once, each command
 * only starts bwrap; wrap() gives a command line that starts bwrap directly
 * (no Node), which also works under spawnSync/execSync. **Proxied** ones
 * (anything else, decided at each spawn from the policy in force then) go
 * through runLinux with this sandbox's proxies, which run in the caller's
 * event loop — start such a command asynchronously; srt exec checks that the
 * proxies answer before it starts the command and fails (status 1) instead
 * of hanging — or, with `proxiesIn: "thread"`, in a worker thread of this
 * process (runtime/linux/proxy-thread.ts), where a synchronous spawn reaches
 * them too.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { NetworkPolicy } from "../compiler/index.js";
import { ipcChannelFds } from "../runtime/linux/inherited-fds.js";
import { openLinuxSession, type LinuxSession } from "../runtime/linux/session.js";
import { nodeSessionOs } from "../runtime/linux/session-node.js";
import { linuxPlanProblem, type LinuxPlan } from "../backends/bwrap/index.js";
import type { Diagnostic } from "../compiler/index.js";
import { chosenTools, findTools, runLinux, toolsExposed, type RunningSandbox } from "../runtime/linux/index.js";
import { createJanitor } from "../runtime/linux/janitor.js";
import { nodeLinuxDeps } from "../runtime/linux/node-deps.js";
import { ensureStateDir, locateStateDir, planStateDirMismatch } from "../runtime/state-dir.js";
import { createLinuxNetwork, proxySocketsIn, reachProxies } from "../runtime/linux/network.js";
import { createProxyHost, type ProxyHost } from "../runtime/linux/proxy-thread.js";
import { nodeNetworkOs } from "../runtime/linux/network-os.js";
import type { AskCallback, FilterRequestCallback } from "../runtime/proxy/index.js";
import { createLivePolicy } from "../runtime/proxy/live-policy.js";
import { limitsRequested } from "../runtime/linux/limits/decide.js";
import { compile, lower, type CompileOptions } from "./compile.js";
import { SandboxConfigError } from "./errors.js";
import { findSrtBin } from "./install.js";
import { wireProcess, type SandboxedProcess, type StdioOption } from "./process.js";
import { createViolationFeed, type SandboxViolations } from "./violations.js";
import { RuntimeFailure } from "../runtime/failure.js";

export interface SandboxOptions extends CompileOptions {
  /** Asked about hosts on neither list; without it they are refused. */
  readonly askCallback?: AskCallback;
  /**
   * Asked about every HTTP request the proxy parses (plain HTTP, and HTTPS under
   * network.tlsTerminate): allow (with header edits) or deny. Throwing denies.
   */
  readonly filterRequest?: FilterRequestCallback;
  /** How long askCallback may take before the request is refused; default 30 000 ms. */
  readonly askTimeoutMs?: number;
  /** The srt CLI bundle that wrap() commands run; default the one installed with this library. */
  readonly srtPath?: string;
  /** After kill(), how long the command may take before everything in the sandbox is SIGKILLed; default 10 000 ms. */
  readonly killGraceMs?: number;
  /**
   * File descriptors of this process opened without close-on-exec (inherited
   * from its parent; Node opens its own with close-on-exec) would be inherited
   * by every sandboxed command. By default spawn() closes them in this process
   * first; "refuse" makes spawn() fail instead, naming them, for hosts that use
   * such an fd themselves.
   */
  readonly inheritedFds?: "close" | "refuse";
  /**
   * When a command gets the proxies. "spelled" (default): also when the settings spell
   * `network.allowedDomains`, even empty — update() can then open hosts for commands already
   * running, and refusals are recorded. "needed": only when a host is allowed or askCallback is
   * set, so a policy that reaches nothing runs offline and its wrap() works under spawnSync
   * (the SandboxManager shim's choice: the reference's block-all `allowedDomains: []`).
   */
  readonly proxies?: "spelled" | "needed";
  /**
   * Where the proxies run. "loop" (default): in this thread's event loop — start proxied commands
   * asynchronously. "thread": in a worker thread of this process (it runs the srt CLI bundle), so a
   * wrap()ped command started with spawnSync/execSync reaches them while this thread blocks; the
   * policy, askCallback and violations stay here (an askCallback question asked while this thread
   * blocks is answered once it runs again, or refused after askTimeoutMs). A ProxyHost: that
   * thread, shared with other sandboxes (the SandboxManager's); its owner closes it.
   */
  readonly proxiesIn?: "loop" | "thread" | ProxyHost;
}

export interface SandboxSpawnOptions {
  /** The environment offered to the command; the policy's env rules decide what passes. Default process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Default "pipe". */
  readonly stdio?: StdioOption;
}

/**
 * A command line for callers that spawn themselves: `spawn(file, argv, { env })`.
 * `offline`: it starts bwrap directly (through `sh`), needs nothing of this
 * process while it runs, and may be spawned synchronously; otherwise it is
 * `srt exec --proxies` and must be spawned asynchronously.
 */
export interface WrappedCommand {
  readonly file: string;
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly offline: boolean;
  /** The same as one POSIX shell command line, every word quoted: for `spawn(line, { shell: true })` or execSync. */
  readonly commandLine: string;
}

/** A word for a POSIX shell: single-quoted, so nothing in it is expanded. */
export const shellQuote = (word: string): string => `'${word.replace(/'/g, `'\\''`)}'`;

export type UpdateResult =
  | { readonly ok: true; readonly diagnostics: readonly Diagnostic[] }
  | { readonly ok: false; readonly diagnostics: readonly Diagnostic[] };

export interface Sandbox {
  /** The plan every command of this sandbox runs under (proxied; offline commands run it with `proxies: false`). */
  readonly plan: LinuxPlan;
  /** Whether a command started now runs offline (see the top of this file). */
  readonly offline: boolean;
  spawn(command: string, args?: readonly string[], options?: SandboxSpawnOptions): SandboxedProcess;
  wrap(command: readonly string[]): WrappedCommand;
  /** Replaces the network allow/deny lists of the running proxies at once; invalid settings change nothing. */
  update(settings: object | string): UpdateResult;
  readonly violations: SandboxViolations;
  /** Kills running commands, stops the proxies, removes every file; idempotent. */
  close(): Promise<void>;
  readonly closed: boolean;
}

const lineOf = (argv: readonly string[]): string => [process.execPath, ...argv].map(shellQuote).join(" ");

/** In this sandbox's directory (srt's state directory: hidden in every sandbox, never writable by one). */
function writePlan(path: string, plan: LinuxPlan): string {
  writeFileSync(path, JSON.stringify(plan), { mode: 0o600, flag: "wx" });
  return path;
}

const isPlan = (v: unknown): v is LinuxPlan =>
  typeof v === "object" && v !== null && (v as { kind?: unknown }).kind === "srt-plan";

/** The reference tool proxies whenever `network.allowedDomains` is spelled, even empty (so a later update can open it): so does srt. */
function spellsAllowedDomains(settings: object | string): boolean {
  try {
    const v: unknown = typeof settings === "string" ? JSON.parse(settings) : settings;
    const net = (v as { network?: { allowedDomains?: unknown } } | null)?.network;
    return typeof net === "object" && net !== null && Array.isArray(net.allowedDomains);
  } catch {
    return false; // the compiler has said why already
  }
}

const allowsAny = (net: Pick<NetworkPolicy, "rules" | "mitmProxy">): boolean =>
  net.rules.some((r) => r.effect === "allow") || (net.mitmProxy?.domains.length ?? 0) > 0;

/** The proxies of a sandbox, wherever they run: what its runs attach to, and how they stop. */
interface Proxies {
  attach(): ReturnType<Awaited<ReturnType<typeof createLinuxNetwork>>["attach"]>;
  /** Only for proxies outside this thread; in-loop ones read the live policy themselves. */
  replace?(next: NetworkPolicy): void;
  close(): Promise<unknown>;
}

export async function createSandbox(
  settingsOrPlan: object | string | LinuxPlan,
  options: SandboxOptions = {},
): Promise<Sandbox> {
  if (process.platform !== "linux")
    throw new RuntimeFailure(
      "SRT509",
      `createSandbox runs commands on Linux only (this is ${process.platform}); compile() and lower() work everywhere`,
    );
  let base: LinuxPlan;
  let spelled = false;
  if (isPlan(settingsOrPlan)) {
    // A plan from an older srt lacks what this runtime enforces (the watched mounts, hostWrites…): refuse it.
    const problem = linuxPlanProblem(settingsOrPlan);
    if (problem !== undefined) throw new RuntimeFailure("SRT503", problem);
    base = settingsOrPlan;
  } else {
    const compiled = compile(settingsOrPlan, { ...options, target: "linux" });
    if (compiled.ir === undefined) throw new SandboxConfigError(compiled.diagnostics);
    base = lower(compiled.ir, "linux");
    spelled = options.proxies !== "needed" && spellsAllowedDomains(settingsOrPlan);
  }
  if (base.network.policy.httpProxyPort !== undefined || base.network.policy.socksProxyPort !== undefined) {
    throw new Error(
      "createSandbox does not support httpProxyPort/socksProxyPort yet (your own proxy would bypass its live policy); use the CLI for such policies",
    );
  }
  if (base.network.policy.tlsTerminate !== undefined || base.network.policy.masks !== undefined) {
    throw new Error(
      "createSandbox does not support network.tlsTerminate or masked credentials yet (its proxies are shared by every run, the CA and sentinels are per run); use the CLI for such policies",
    );
  }
  // Never from PATH (the caller's project may be first on it, and writable from inside).
  const tools = findTools(true, undefined, process.getuid?.() === 0, chosenTools(base));
  if (!tools.ok) throw new RuntimeFailure(tools.code, tools.message);
  const exposed = toolsExposed(tools.found, base.hostWrites);
  if (exposed !== undefined) throw new RuntimeFailure("SRT500", exposed);
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  // The hook is a function of this thread; a worker's proxies cannot call it, and running them
  // without it would forward requests the caller meant to check.
  if (options.proxiesIn !== undefined && options.proxiesIn !== "loop" && options.filterRequest !== undefined)
    throw new Error('filterRequest needs the proxies in this event loop: use proxiesIn: "loop" (the default)');
  const srtBin = options.srtPath ?? findSrtBin();
  const stateDir = locateStateDir(process.env, uid);
  const mismatch = planStateDirMismatch(base.context.stateDir, stateDir);
  if (mismatch !== undefined) throw new RuntimeFailure("SRT502", mismatch);
  const cleanupCommand = srtBin === undefined ? undefined : [process.execPath, srtBin, "__cleanup"];

  // In srt's state directory, hidden in every sandbox (proxy sockets, the plan wrap() runs).
  // The watchdog removes the directory if this process dies without close().
  const os = nodeLinuxDeps();
  const janitor = createJanitor(os, [], tools.tools.sh);
  const dir = join(ensureStateDir(os.fs, stateDir, uid), "runs", os.runId());
  janitor.expectTree(dir);
  os.fs.mkdir(dir, 0o700);
  const feed = createViolationFeed();
  const live = createLivePolicy(base.network.policy);
  const proxied = (): boolean => spelled || options.askCallback !== undefined || allowsAny(live.current());
  // Started once, when a command first needs them: every proxied run of this sandbox, and every
  // wrap()ped `srt exec --proxies`, attaches to them.
  let network: Promise<Proxies> | undefined;
  // The thread that serves this sandbox's proxies, if they run in one: shared, or this sandbox's own.
  let ownHost: ProxyHost | undefined;
  const host = (): ProxyHost =>
    typeof options.proxiesIn === "object"
      ? options.proxiesIn
      : (ownHost ??= createProxyHost({
          srtBin:
            srtBin ??
            ((): never => {
              throw new Error('proxiesIn: "thread" runs the srt CLI bundle (dist/srt.cjs) in a thread; pass srtPath');
            })(),
        }));
  const inThread = options.proxiesIn !== undefined && options.proxiesIn !== "loop";
  const proxies = (): NonNullable<typeof network> =>
    (network ??= inThread
      ? Promise.resolve()
          .then(() =>
            host().open({
              sockets: proxySocketsIn(dir),
              policy: live.current(),
              onViolation: feed.record,
              ask: options.askCallback,
              askTimeoutMs: options.askTimeoutMs,
              onDeath: (why) => process.emitWarning(why),
            }),
          )
          .then((t) => ({
            // NO_PROXY from the policy in force here: the thread decides with the same lists (update() sends them).
            attach: () => reachProxies(t.sockets, live.current(), async () => undefined),
            replace: (next) => t.replace(next),
            close: () => t.close(),
          }))
      : createLinuxNetwork({
          sockets: proxySocketsIn(dir),
          policy: live,
          onViolation: feed.record,
          ask: options.askCallback,
          filterRequest: options.filterRequest,
          askTimeoutMs: options.askTimeoutMs,
          os: nodeNetworkOs,
        }));
  let session: LinuxSession | undefined;
  const offlinePlan: LinuxPlan = { ...base, network: { ...base.network, proxies: false } };
  // Prepared once (run directory, placeholders, protection watch), when a command first runs offline.
  const warm = (): LinuxSession =>
    (session ??= openLinuxSession(
      os,
      { plan: offlinePlan, tools: tools.tools, uid, gid, stateDir, cleanupCommand },
      nodeSessionOs,
    ));
  try {
    // Set up now what the first command will need, so that it pays no more than the next one, and so
    // that a machine that cannot run it says so here.
    if (proxied()) await proxies();
    else warm();
  } catch (e) {
    await network?.then((n) => n.close()).catch(() => undefined);
    await ownHost?.close();
    janitor.cleanUp();
    throw e;
  }
  // Proxied runs: always with the proxies, so update() can open what the first policy closed.
  const plan: LinuxPlan = { ...base, network: { ...base.network, proxies: true } };
  const running = new Set<RunningSandbox>();
  let closing: Promise<void> | undefined;
  let planFile: string | undefined;
  let offlinePlanFile: string | undefined;
  // Resource limits are enforced by the runner (a cgroup, rlimits, the wall clock), not by the warm session.
  const limited = limitsRequested(plan.limits);

  const sandbox: Sandbox = {
    plan,
    violations: feed,
    get offline() {
      return !proxied();
    },
    get closed() {
      return closing !== undefined;
    },
    spawn(command, args = [], spawnOptions = {}) {
      if (closing) throw new Error("this sandbox is closed");
      const wiring = wireProcess(spawnOptions.stdio);
      const env = spawnOptions.env ?? process.env;
      // The warm session starts bwrap itself and has no limits phase: a policy with limits runs each
      // command through the runner, which enforces them (never a warm run that silently drops them).
      const run =
        proxied() || limited
          ? runLinux({
              plan: proxied() ? plan : offlinePlan,
              command: [command, ...args],
              env,
              tools: tools.tools,
              uid,
              gid,
              stateDir,
              // The proxies outlive the run; its bridges are the runner's to stop.
              ...(proxied() ? { startNetwork: async () => (await proxies()).attach() } : {}),
              stdio: wiring.stdio,
              onSpawn: wiring.onSpawn,
              ...(options.killGraceMs === undefined ? {} : { killGraceMs: options.killGraceMs }),
              ...(options.inheritedFds === undefined ? {} : { inheritedFds: options.inheritedFds }),
              ...(cleanupCommand === undefined ? {} : { cleanupCommand }),
            })
          : warm().run({
              command: [command, ...args],
              env,
              stdio: wiring.stdio,
              onSpawn: wiring.onSpawn,
              killGraceMs: options.killGraceMs,
              inheritedFds: options.inheritedFds,
            });
      running.add(run);
      void run.result
        .then((r) => {
          if (r.kind === "exited") for (const v of r.writeViolations ?? []) feed.record(v);
        })
        .finally(() => running.delete(run));
      return wiring.handle(run);
    },
    wrap(command) {
      if (closing) throw new Error("this sandbox is closed");
      if (command.length === 0) throw new Error("wrap() needs a command");
      // The env policy filters the environment srt passes; a command line started by the caller gets the
      // caller's environment, so a filtering policy goes through srt exec (which filters) instead.
      const filtersEnv = plan.env.inherit !== "all" || plan.env.deny.length > 0;
      if (!proxied() && !filtersEnv && !limited) {
        const ext = warm().external();
        // The caller's spawn passes on every fd of this process without close-on-exec (libuv closes none):
        // close them here, as spawn() does, before a command line that reaches them is handed out.
        os.inheritedFds(ipcChannelFds(os.env), options.inheritedFds ?? "close");
        // sh opens the two files on fds 3 and 7 and execs bwrap, which reads fd 3; the supervisor reads 7. Once the
        // sandbox is closed the files are gone: the redirection fails and bwrap never runs.
        const words = [...ext.prefix, "--", ...command].map(shellQuote).join(" ");
        return {
          file: tools.tools.sh,
          argv: [
            "-c",
            'exec 3<"$1" 7<"$2" 9>/dev/null; shift 2; exec "$@"',
            "srt",
            ext.argsFile,
            ext.configFile,
            ...ext.prefix,
          ].concat(["--", ...command]),
          env: { ...process.env },
          offline: true,
          // One exec: if either file cannot be opened (the sandbox was closed), the shell runs nothing.
          commandLine: `exec ${words} 3<${shellQuote(ext.argsFile)} 7<${shellQuote(ext.configFile)} 9>/dev/null`,
        };
      }
      if (srtBin === undefined) throw new Error("wrap() needs the srt CLI bundle (dist/srt.cjs); pass srtPath");
      if (!proxied()) {
        // Offline, through srt exec: no proxies to wait for, so a synchronous spawn works too.
        offlinePlanFile ??= writePlan(join(dir, "offline-plan.json"), offlinePlan);
        const argv = [srtBin, "exec", offlinePlanFile, "--", ...command];
        return { file: process.execPath, argv, env: { ...process.env }, offline: true, commandLine: lineOf(argv) };
      }
      // Opened by an update(): started now, while the caller spawns (srt exec waits for them to answer).
      void proxies().catch(() => undefined);
      planFile ??= writePlan(join(dir, "plan.json"), plan);
      const argv = [srtBin, "exec", planFile, "--proxies", dir, "--", ...command];
      return { file: process.execPath, argv, env: { ...process.env }, offline: false, commandLine: lineOf(argv) };
    },
    update(settings) {
      const compiled = compile(settings, { ...options, target: "linux" });
      if (compiled.ir === undefined) return { ok: false, diagnostics: compiled.diagnostics };
      const next = compiled.ir.network;
      live.replace(next);
      void network?.then((n) => n.replace?.(next)).catch(() => undefined);
      return { ok: true, diagnostics: compiled.diagnostics };
    },
    close() {
      closing ??= (async () => {
        for (const r of running) r.forward("SIGKILL");
        // Each run removes its own run directory and placeholders once bwrap is gone.
        await Promise.all([...running].map((r) => r.result));
        await session?.close();
        await network?.then((n) => n.close()).catch(() => undefined);
        await ownHost?.close();
        janitor.cleanUp();
      })();
      return closing;
    },
  };
  return sandbox;
}
