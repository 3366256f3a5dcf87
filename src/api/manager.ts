/**
 * `SandboxManager`: the API shape of the reference tool
 * (@anthropic-ai/sandbox-runtime), on top of createSandbox(), so an
 * integration switches by changing its import. The reference is a process
 * singleton; here the singleton is one instance of createSandboxManager()
 * and all its state lives in that closure (make more with the factory).
 *
 * wrapWithSandbox() returns a shell string for `spawn(str, { shell: true })`:
 * `node srt.mjs exec <plan> --proxies <dir> -- <shell> -c '<command>'`, every
 * word single-quoted. The plan file carries the whole policy (no settings
 * file needed) and --proxies leads the run to this manager's long-lived
 * proxies — which live in this process: spawn the string asynchronously.
 */
import type { AskCallback } from "../runtime/proxy/index.js";
import type { SandboxViolation } from "./violations.js";
import { createSandbox, type Sandbox, type SandboxOptions } from "./sandbox.js";

/** A violation as the reference's store reports it. */
export interface SandboxViolationEvent {
  /** One line, e.g. `deny network-outbound evil.test:443 (evil.test:443 is not in allowedDomains)`. */
  readonly line: string;
  readonly timestamp: Date;
  readonly violation: SandboxViolation;
}

export interface SandboxViolationStore {
  getViolations(limit?: number): SandboxViolationEvent[];
  getCount(): number;
  getTotalCount(): number;
  clear(): void;
  /** Called at once and after every change with all stored violations; returns the unsubscribe. */
  subscribe(listener: (violations: SandboxViolationEvent[]) => void): () => void;
}

export interface SandboxManagerApi {
  initialize(config: object, askCallback?: AskCallback, options?: SandboxOptions): Promise<void>;
  isSupportedPlatform(): boolean;
  isSandboxingEnabled(): boolean;
  wrapWithSandbox(command: string, binShell?: string): Promise<string>;
  /** Replaces the network lists; throws (and keeps the old policy) when the config is invalid. */
  updateConfig(config: object): void;
  getSandboxViolationStore(): SandboxViolationStore;
  /** Each srt exec cleans up after itself (run directory, placeholders); kept for API compatibility. */
  cleanupAfterCommand(): void;
  /** Stops the proxies and removes every file; initialize() may be called again. */
  reset(): Promise<void>;
}

const quote = (word: string): string => `'${word.replace(/'/g, `'\\''`)}'`;

const eventOf = (v: SandboxViolation): SandboxViolationEvent => ({
  line:
    v.kind === "network"
      ? `deny network-outbound ${v.host.includes(":") ? `[${v.host}]` : v.host}:${v.port} (${v.reason})`
      : `deny file-write-${v.operation} ${v.path} (${v.rule}: ${v.reason})`,
  timestamp: new Date(v.time),
  violation: v,
});

export function createSandboxManager(): SandboxManagerApi {
  let sandbox: Sandbox | undefined;
  const listeners = new Set<(violations: SandboxViolationEvent[]) => void>();
  let unsubscribe: (() => void) | undefined;
  const current = (): Sandbox => {
    if (sandbox === undefined) throw new Error("SandboxManager is not initialized: call initialize(config) first");
    return sandbox;
  };
  const all = (): SandboxViolationEvent[] => (sandbox?.violations.list() ?? []).map(eventOf);
  const notify = (): void => {
    const list = all();
    for (const l of [...listeners]) l(list);
  };
  const store: SandboxViolationStore = {
    getViolations: (limit) => (limit === undefined ? all() : all().slice(-limit)),
    getCount: () => sandbox?.violations.list().length ?? 0,
    getTotalCount: () => sandbox?.violations.total ?? 0,
    clear() {
      sandbox?.violations.clear();
      notify();
    },
    subscribe(listener) {
      listeners.add(listener);
      listener(all());
      return () => void listeners.delete(listener);
    },
  };
  const api: SandboxManagerApi = {
    async initialize(config, askCallback, options = {}) {
      await api.reset();
      sandbox = await createSandbox(config, { ...options, ...(askCallback === undefined ? {} : { askCallback }) });
      unsubscribe = sandbox.violations.subscribe(notify);
    },
    isSupportedPlatform: () => process.platform === "linux",
    isSandboxingEnabled: () => sandbox !== undefined,
    async wrapWithSandbox(command, binShell = "/bin/sh") {
      const w = current().wrap([binShell, "-c", command]);
      return [w.file, ...w.argv].map(quote).join(" ");
    },
    updateConfig(config) {
      const r = current().update(config);
      if (!r.ok) {
        const errors = r.diagnostics
          .filter((d) => d.severity === "error")
          .map((d) => `${d.code} ${d.pointer || "/"}: ${d.message}`);
        throw new Error(`invalid sandbox config (the previous one stays): ${errors.join("; ")}`);
      }
    },
    getSandboxViolationStore: () => store,
    cleanupAfterCommand: () => undefined,
    async reset() {
      unsubscribe?.();
      unsubscribe = undefined;
      const s = sandbox;
      sandbox = undefined;
      await s?.close();
    },
  };
  return api;
}

/** The process-wide manager, as the reference tool exports it. */
export const SandboxManager: SandboxManagerApi = createSandboxManager();
