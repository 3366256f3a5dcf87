/**
 * `SandboxManager`: the API shape of the reference tool
 * (@anthropic-ai/sandbox-runtime 0.0.83), on top of createSandbox(), so an
 * integration switches by changing its import. The reference is a process
 * singleton; here the singleton is one instance of createSandboxManager()
 * and all its state lives in that closure (make more with the factory).
 *
 * wrapWithSandbox() returns one shell command line. For a policy that
 * reaches no host it starts bwrap itself (`exec bwrap --args 3 … 3<args
 * 4<seccomp`, the two files in srt's hidden state directory): no Node starts,
 * nothing of this process is needed while it runs, so spawnSync/execSync work.
 * A policy with network access runs `srt exec --proxies` against this
 * manager's proxies, which run in one worker thread of this process (see
 * src/runtime/linux/proxy-thread.ts): they answer while the caller's thread
 * blocks, so spawnSync/execSync work there too. Refusals reach the violation
 * store once the caller's event loop runs again.
 *
 * customConfig is a per-command policy: merged over the config as the
 * reference merges it (each key of `network` and `filesystem` replaces the
 * config's, other top-level keys likewise), compiled like any settings, and
 * run in a sandbox of its own, kept for the next command with the same policy.
 */
import type { Diagnostic } from "../compiler/index.js";
import { locateTool, nodeToolFs } from "../runtime/host-tools.js";
import { findTools } from "../runtime/linux/tools.js";
import type { AskCallback, FilterRequestCallback } from "../runtime/proxy/index.js";
import { createProxyHost, type ProxyHost } from "../runtime/linux/proxy-thread.js";
import { compile } from "./compile.js";
import { findSrtBin } from "./install.js";
import type { SandboxViolation } from "./violations.js";
import { createSandbox, type Sandbox, type SandboxOptions } from "./sandbox.js";

/** A violation as the reference's store keeps it. */
export interface SandboxViolationEvent {
  /** One line, e.g. `deny network-outbound evil.test:443 (evil.test:443 is not in allowedDomains)`. */
  readonly line: string;
  /** The command (or commandId) it is attributed to, when known. */
  readonly command?: string;
  /** The attribution key as the reference spells it: base64 of the command's first 100 characters. */
  readonly encodedCommand?: string;
  readonly timestamp: Date;
  /** srt's own record of a refusal (absent for events added with addViolation). */
  readonly violation?: SandboxViolation;
}

/** Keys are compared on their first 100 characters, as in the reference. */
const KEY_LENGTH = 100;
const encodeCommand = (command: string): string => Buffer.from(command.slice(0, KEY_LENGTH)).toString("base64");

/** Control characters would let a violation line (data from the sandbox) pass for something else when shown. */
const oneLine = (text: string): string => text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, " ").trim();

/** The reference's in-memory tail of violations: bounded, with an exact total and listeners. */
export class SandboxViolationStore {
  #violations: SandboxViolationEvent[] = [];
  #total = 0;
  readonly #listeners = new Set<(violations: SandboxViolationEvent[]) => void>();
  constructor(private readonly maxSize = 100) {}

  addViolation(violation: SandboxViolationEvent): void {
    const command = violation.command;
    this.#violations.push({
      ...violation,
      line: oneLine(violation.line),
      ...(command !== undefined && violation.encodedCommand === undefined
        ? { encodedCommand: encodeCommand(command) }
        : {}),
    });
    this.#total++;
    if (this.#violations.length > this.maxSize) this.#violations = this.#violations.slice(-this.maxSize);
    this.#notify();
  }
  getViolations(limit?: number): SandboxViolationEvent[] {
    return limit === undefined ? [...this.#violations] : this.#violations.slice(-limit);
  }
  getCount(): number {
    return this.#violations.length;
  }
  getTotalCount(): number {
    return this.#total;
  }
  getViolationsForCommand(command: string): SandboxViolationEvent[] {
    const key = encodeCommand(command);
    return this.#violations.filter((v) => v.encodedCommand === key);
  }
  /** Empties the tail; the total keeps counting. */
  clear(): void {
    this.#violations = [];
    this.#notify();
  }
  /** Called at once and after every change with the stored violations; returns the unsubscribe. */
  subscribe(listener: (violations: SandboxViolationEvent[]) => void): () => void {
    this.#listeners.add(listener);
    listener(this.getViolations());
    return () => void this.#listeners.delete(listener);
  }
  #notify(): void {
    const list = this.getViolations();
    for (const l of [...this.#listeners]) {
      try {
        l(list);
      } catch {
        // A listener's bug must not stop the others, nor the proxy that recorded the refusal.
      }
    }
  }
}

/** The reference's `ignoreViolations`: `"*"` patterns for every command, other keys when the command contains them. */
export type IgnoreViolationsConfig = Readonly<Record<string, readonly string[]>>;

export function shouldIgnoreViolation(
  line: string,
  command: string | undefined,
  ignore: IgnoreViolationsConfig | undefined,
): boolean {
  if (ignore === undefined) return false;
  if ((ignore["*"] ?? []).some((p) => line.includes(p))) return true;
  if (command === undefined) return false;
  return Object.entries(ignore).some(
    ([pattern, lines]) => pattern !== "*" && command.includes(pattern) && lines.some((p) => line.includes(p)),
  );
}

/** Per-invocation options of wrapWithSandbox (not policy: that is customConfig). */
export interface WrapWithSandboxOptions {
  /** Attribution key (and the id a registerCommandNetworkLists list is under); default the command. */
  readonly commandId?: string;
  /** The command this invocation represents, for ignoreViolations and the violation's `command`. */
  readonly commandText?: string;
}

/** The reference's shapes of the effective policy. */
export interface FsReadRestrictionConfig {
  denyOnly: string[];
  allowWithinDeny?: string[];
}
export interface FsWriteRestrictionConfig {
  allowOnly: string[];
  denyWithinAllow: string[];
}
export interface NetworkRestrictionConfig {
  allowedHosts?: string[];
  deniedHosts?: string[];
}
export interface SandboxDependencyCheck {
  warnings: string[];
  errors: string[];
}

type Config = Readonly<Record<string, unknown>>;

export interface SandboxManagerApi {
  /**
   * The third argument is the reference's `enableLogMonitor` (macOS only; ignored) or srt's
   * SandboxOptions (cwd, srtPath…); the fourth is SandboxOptions when the third is the boolean.
   */
  initialize(
    config: object,
    askCallback?: AskCallback,
    enableLogMonitorOrOptions?: boolean | SandboxOptions,
    options?: SandboxOptions,
  ): Promise<void>;
  isSupportedPlatform(): boolean;
  isSandboxingEnabled(): boolean;
  checkDependencies(ripgrepConfig?: { command: string; args?: string[] }): SandboxDependencyCheck;
  checkDependenciesAsync(ripgrepConfig?: { command: string; args?: string[] }): Promise<SandboxDependencyCheck>;
  getConfig(): object | undefined;
  getFsReadConfig(): FsReadRestrictionConfig;
  getFsWriteConfig(): FsWriteRestrictionConfig;
  getNetworkRestrictionConfig(): NetworkRestrictionConfig;
  getIgnoreViolations(): IgnoreViolationsConfig | undefined;
  /** srt's proxies listen on unix sockets, bridged to 3128/1080 inside each sandbox: there is no host port. */
  getProxyPort(): number | undefined;
  getSocksProxyPort(): number | undefined;
  getLinuxHttpSocketPath(): string | undefined;
  getLinuxSocksSocketPath(): string | undefined;
  waitForNetworkInitialization(): Promise<boolean>;
  wrapWithSandbox(
    command: string,
    binShell?: string,
    customConfig?: object,
    abortSignal?: AbortSignal,
    options?: WrapWithSandboxOptions,
  ): Promise<string>;
  wrapWithSandboxArgv(
    command: string,
    binShell?: string,
    customConfig?: object,
    abortSignal?: AbortSignal,
    cwd?: string,
    options?: WrapWithSandboxOptions,
  ): Promise<{ argv: string[]; env: NodeJS.ProcessEnv }>;
  registerCommandNetworkLists(commandId: string, lists: { allowedDomains?: string[] }): void;
  unregisterCommandNetworkLists(commandId: string): void;
  readonly askCallbackDenyReason: true;
  annotateStderrWithSandboxFailures(command: string, stderr: string): string;
  getLinuxGlobPatternWarnings(): string[];
  /** Replaces the config for later commands and the network lists of running ones; throws (and keeps the old one) when invalid. */
  updateConfig(config: object): void;
  getSandboxViolationStore(): SandboxViolationStore;
  /** Each command cleans up after itself; kept for API compatibility. */
  cleanupAfterCommand(): void;
  /** Stops the proxies and removes every file; initialize() may be called again. */
  reset(): Promise<void>;
  /** Windows only in the reference: each throws "not supported on this platform". */
  getWindowsBackend(): never;
  spawnSandboxed(): never;
  getWindowsProfileRead(): never;
  getWindowsProfileReadWarnings(): never;
  getWindowsProfileReadRefresh(): never;
}

const errorsOf = (diagnostics: readonly Diagnostic[]): string =>
  diagnostics
    .filter((d) => d.severity === "error")
    .map((d) => `${d.code} ${d.pointer || "/"}: ${d.message}`)
    .join("; ");

const section = (v: unknown): Config => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Config) : {});

/** The reference's merge: every key of customConfig's `network` and `filesystem` replaces the config's; other keys likewise. */
export function mergeCustomConfig(config: Config, custom: Config | undefined): Config {
  if (custom === undefined) return config;
  const out: Record<string, unknown> = { ...config, ...custom };
  for (const key of ["network", "filesystem"])
    if (key in custom) out[key] = { ...section(config[key]), ...section(custom[key]) };
  return out;
}

/** A registered per-command id must be unguessable (the reference's rule: ≥ 22 characters, 128 bits as base64url). */
const MIN_ID_LENGTH = 22;

const notHere = (name: string): never => {
  throw new Error(`SandboxManager.${name} is not supported on this platform (${process.platform}): it is Windows-only`);
};

/** At most this many per-command policies keep a sandbox; the least recently used beyond it is closed. */
const MAX_CUSTOM = 32;

/** A refusal as the reference's store lines read: network or, from srt's supervisor, a refused write. */
const lineOf = (v: SandboxViolation): string =>
  v.kind === "network"
    ? `deny network-outbound ${v.host.includes(":") ? `[${v.host}]` : v.host}:${v.port} (${v.reason})`
    : `deny file-write-${v.operation} ${v.path} (${v.rule}: ${v.reason})`;

export function createSandboxManager(): SandboxManagerApi {
  let config: Config | undefined;
  let options: SandboxOptions = {};
  let ask: AskCallback | undefined;
  let initializing: Promise<void> | undefined;
  /** Every sandbox, by the JSON of its merged config; insertion order is recency. */
  const sandboxes = new Map<string, { merged: Config; custom: Config | undefined; sandbox: Promise<Sandbox> }>();
  const lists = new Map<string, readonly string[]>();
  const store = new SandboxViolationStore();
  let shell: string | undefined;
  let host: ProxyHost | undefined;
  const proxyHost = (): ProxyHost | "loop" => {
    const srtBin = options.srtPath ?? findSrtBin();
    // Without the CLI bundle there is no thread to run; wrap() then says it needs srtPath.
    return srtBin === undefined ? "loop" : (host ??= createProxyHost({ srtBin }));
  };

  const ignoreOf = (): IgnoreViolationsConfig | undefined => {
    const v = config?.["ignoreViolations"];
    return typeof v === "object" && v !== null ? (v as IgnoreViolationsConfig) : undefined;
  };
  const record = (v: SandboxViolation): void => {
    const line = lineOf(v);
    // srt's proxies are shared by the commands of one policy: a refusal is not attributed to one command.
    if (shouldIgnoreViolation(line, undefined, ignoreOf())) return;
    store.addViolation({ line, timestamp: new Date(v.time), violation: v });
  };
  const current = (): Config => {
    if (config === undefined) throw new Error("SandboxManager is not initialized: call initialize(config) first");
    return config;
  };
  const sandboxFor = (custom: Config | undefined, commandId: string | undefined): Promise<Sandbox> => {
    let merged = mergeCustomConfig(current(), custom);
    const extra = commandId === undefined ? undefined : lists.get(commandId);
    if (extra !== undefined) {
      const net = section(merged["network"]);
      const allowed = Array.isArray(net["allowedDomains"]) ? (net["allowedDomains"] as unknown[]) : [];
      merged = { ...merged, network: { ...net, allowedDomains: [...allowed, ...extra] } };
    }
    const key = JSON.stringify(merged);
    const hit = sandboxes.get(key);
    if (hit !== undefined) {
      sandboxes.delete(key);
      sandboxes.set(key, hit); // most recent last
      return hit.sandbox;
    }
    // Offline unless a host is allowed or there is an ask callback: the reference's block-all
    // `allowedDomains: []` must work under execSync, as a command line that needs nothing of this process.
    const sandbox = createSandbox(merged, {
      ...options,
      proxies: "needed",
      // Served by a worker thread (one for all of this manager's sandboxes): a caller blocked in
      // spawnSync/execSync of a wrapped command still has its proxies. A filterRequest hook is a
      // function of this thread, so with one the proxies stay in this event loop: start proxied
      // commands asynchronously then (as with the reference).
      proxiesIn: options.filterRequest === undefined ? proxyHost() : "loop",
      ...(ask === undefined ? {} : { askCallback: ask }),
    });
    sandbox.then((s) => s.violations.subscribe(record)).catch(() => undefined);
    // A failed one is not kept: the next command tries again (and says why again).
    sandbox.catch(() => sandboxes.get(key)?.sandbox === sandbox && sandboxes.delete(key));
    sandboxes.set(key, { merged, custom, sandbox });
    while (sandboxes.size > MAX_CUSTOM + 1) {
      const [oldest, entry] = sandboxes.entries().next().value!;
      sandboxes.delete(oldest);
      // Closing removes its files: a command wrapped for it but not started yet fails to start.
      void entry.sandbox.then((s) => s.close()).catch(() => undefined);
    }
    return sandbox;
  };
  const wrap = async (
    command: string,
    binShell: string | undefined,
    customConfig: object | undefined,
    abortSignal: AbortSignal | undefined,
    opts: WrapWithSandboxOptions | undefined,
  ) => {
    abortSignal?.throwIfAborted();
    if (initializing !== undefined) await initializing;
    const sandbox = await sandboxFor(customConfig === undefined ? undefined : section(customConfig), opts?.commandId);
    abortSignal?.throwIfAborted();
    // bash as in the reference, found the trusted way (system directories, root-owned); else sh.
    shell ??= (() => {
      const bash = locateTool("bash", nodeToolFs);
      return bash.ok ? bash.tool.path : "/bin/sh";
    })();
    return sandbox.wrap([binShell ?? shell, "-c", command]);
  };

  const api: SandboxManagerApi = {
    askCallbackDenyReason: true,
    async initialize(cfg, askCallback, third, fourth) {
      await api.reset();
      const opts = typeof third === "object" ? third : (fourth ?? {});
      // An invalid config: createSandbox throws a SandboxConfigError with the diagnostics.
      // network.filterRequest is a function: it becomes an option, never part of the compiled settings.
      const c = section(cfg);
      const net = section(c["network"]);
      const hook = net["filterRequest"];
      if (typeof hook === "function") {
        const { filterRequest: _drop, ...rest } = net;
        void _drop;
        config = { ...c, network: rest };
        options = { ...opts, filterRequest: hook as FilterRequestCallback };
      } else {
        config = c;
        options = opts;
      }
      ask = askCallback;
      const first = sandboxFor(undefined, undefined).then(() => undefined);
      initializing = first;
      try {
        await first;
      } catch (e) {
        config = undefined;
        throw e;
      } finally {
        initializing = undefined;
      }
    },
    isSupportedPlatform: () => process.platform === "linux",
    isSandboxingEnabled: () => config !== undefined,
    checkDependencies() {
      if (process.platform !== "linux")
        return { errors: [`srt runs commands on Linux only (this is ${process.platform})`], warnings: [] };
      const tools = findTools(true, undefined, process.getuid?.() === 0);
      return { errors: tools.ok ? [] : [tools.message], warnings: [] };
    },
    checkDependenciesAsync: async (rg) => api.checkDependencies(rg),
    getConfig: () => config,
    getFsReadConfig() {
      const ir = config === undefined ? undefined : compile(config, { ...options, target: "linux" }).ir;
      const rules = (ir?.filesystem.rules ?? []).flatMap((r) =>
        r.access !== "read" ? [] : [{ effect: r.effect, path: r.kind === "path" ? r.path : r.pattern }],
      );
      return {
        denyOnly: rules.filter((r) => r.effect === "deny").map((r) => r.path),
        allowWithinDeny: rules.filter((r) => r.effect === "allow").map((r) => r.path),
      };
    },
    getFsWriteConfig() {
      const ir = config === undefined ? undefined : compile(config, { ...options, target: "linux" }).ir;
      const rules = (ir?.filesystem.rules ?? []).flatMap((r) =>
        r.access !== "write" ? [] : [{ effect: r.effect, path: r.kind === "path" ? r.path : r.pattern }],
      );
      return {
        allowOnly: rules.filter((r) => r.effect === "allow").map((r) => r.path),
        denyWithinAllow: rules.filter((r) => r.effect === "deny").map((r) => r.path),
      };
    },
    getNetworkRestrictionConfig() {
      if (config === undefined) return {};
      const net = section(config["network"]);
      const allowed = net["allowedDomains"];
      const denied = net["deniedDomains"];
      return {
        ...(Array.isArray(allowed) ? { allowedHosts: [...(allowed as string[])] } : {}),
        ...(Array.isArray(denied) && denied.length > 0 ? { deniedHosts: [...(denied as string[])] } : {}),
      };
    },
    getIgnoreViolations: ignoreOf,
    getProxyPort: () => undefined,
    getSocksProxyPort: () => undefined,
    getLinuxHttpSocketPath: () => undefined,
    getLinuxSocksSocketPath: () => undefined,
    async waitForNetworkInitialization() {
      if (config === undefined) return false;
      try {
        await (initializing ?? sandboxFor(undefined, undefined));
        return true;
      } catch {
        return false;
      }
    },
    async wrapWithSandbox(command, binShell, customConfig, abortSignal, opts) {
      return (await wrap(command, binShell, customConfig, abortSignal, opts)).commandLine;
    },
    async wrapWithSandboxArgv(command, binShell, customConfig, abortSignal, cwd, opts) {
      const w = await wrap(command, binShell, customConfig, abortSignal, opts);
      // The sandbox's working directory is the one its policy was compiled for (`.` in settings); cwd only
      // names it, so a different one is refused rather than silently ignored.
      if (cwd !== undefined && cwd !== (options.cwd ?? process.cwd()))
        throw new Error(
          `wrapWithSandboxArgv: cwd ${cwd} differs from the sandbox's (${options.cwd ?? process.cwd()}); pass it as the cwd option of initialize()`,
        );
      return { argv: [w.file, ...w.argv], env: { ...w.env } };
    },
    registerCommandNetworkLists(commandId, l) {
      if ([...commandId].length < MIN_ID_LENGTH)
        throw new Error(
          `registerCommandNetworkLists: the command id must be unguessable (at least ${MIN_ID_LENGTH} characters of randomness)`,
        );
      const allowed = l.allowedDomains ?? [];
      const checked = compile({ network: { allowedDomains: allowed } }, { ...options, target: "linux" });
      if (checked.ir === undefined) throw new Error(`invalid allowedDomains: ${errorsOf(checked.diagnostics)}`);
      lists.set(commandId.slice(0, KEY_LENGTH), [...allowed]);
    },
    unregisterCommandNetworkLists(commandId) {
      lists.delete(commandId.slice(0, KEY_LENGTH));
    },
    annotateStderrWithSandboxFailures(command, stderr) {
      if (config === undefined) return stderr;
      const events = store.getViolationsForCommand(command);
      if (events.length === 0) return stderr;
      return `${stderr}\n<sandbox_violations>\n${events.map((e) => `${e.line}\n`).join("")}</sandbox_violations>`;
    },
    getLinuxGlobPatternWarnings: () => [],
    updateConfig(cfg) {
      const next = section(cfg);
      const compiled = compile(next, { ...options, target: "linux" });
      if (compiled.ir === undefined)
        throw new Error(`invalid sandbox config (the previous one stays): ${errorsOf(compiled.diagnostics)}`);
      current();
      config = next;
      // Running commands get the new network lists where only those changed (the reference's
      // "updateConfig can open the network for running processes"); anything else applies to later commands.
      for (const [key, entry] of [...sandboxes]) {
        const merged = mergeCustomConfig(next, entry.custom);
        const { network: a, ...restA } = merged;
        const { network: b, ...restB } = entry.merged;
        if (JSON.stringify(restA) !== JSON.stringify(restB) || JSON.stringify(a) === JSON.stringify(b)) continue;
        void entry.sandbox.then((s) => s.update(merged)).catch(() => undefined);
        sandboxes.delete(key);
        sandboxes.set(JSON.stringify(merged), { ...entry, merged });
      }
    },
    getSandboxViolationStore: () => store,
    cleanupAfterCommand: () => undefined,
    async reset() {
      const all = [...sandboxes.values()];
      sandboxes.clear();
      lists.clear();
      config = undefined;
      await Promise.all(all.map((e) => e.sandbox.then((s) => s.close()).catch(() => undefined)));
      // The proxy thread last: every sandbox has closed its proxies in it.
      const h = host;
      host = undefined;
      await h?.close();
    },
    getWindowsBackend: () => notHere("getWindowsBackend"),
    spawnSandboxed: () => notHere("spawnSandboxed"),
    getWindowsProfileRead: () => notHere("getWindowsProfileRead"),
    getWindowsProfileReadWarnings: () => notHere("getWindowsProfileReadWarnings"),
    getWindowsProfileReadRefresh: () => notHere("getWindowsProfileReadRefresh"),
  };
  return api;
}

/** The process-wide manager, as the reference tool exports it. */
export const SandboxManager: SandboxManagerApi = createSandboxManager();
