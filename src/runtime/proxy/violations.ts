/**
 * Where refusals go: a ring buffer of recent events plus exact totals, so a
 * sandboxed loop hammering a denied host costs bounded memory however long it
 * runs; optionally every event is appended to a JSON-lines file (the audit
 * log: it keeps everything, ignoreViolations only shapes the summary). The
 * file writer never throws into the proxy: a full disk loses log lines, not
 * enforcement.
 */
import { createWriteStream, writeSync, type WriteStream } from "node:fs";
import type { OriginList } from "../../backends/bwrap/mounts.js";
import { inertHost, inertText, jsonLine } from "../untrusted-text.js";
import { openViolationsFile } from "../violations-file.js";
import type { NetworkViolation } from "./types.js";
import type { LimitViolation } from "../linux/limits/enforce.js";
import { compareStrings } from "../../compiler/compare.js";

/**
 * A file-system protection that stopped holding during a run. On Linux: a host process deleted or
 * renamed over a protected path, which detaches its mount in the sandbox (src/backends/bwrap/detachable.ts),
 * and srt stopped the run. Not a refusal the store counts: there is at most one per run, it ends
 * the run, and it is written to the violations file beside the network ones (appendViolation).
 */
export interface FileSystemViolation {
  readonly kind: "filesystem";
  /** ISO 8601. */
  readonly time: string;
  readonly path: string;
  /** What the detached mount did: kept the path read-only, kept it unreadable, or held the mounts below it. */
  readonly guards: "write" | "read" | "below";
  readonly reason: string;
  /** Origins of the rules the mount enforced, as in the plan. */
  readonly rule: OriginList;
}

/**
 * One JSON line appended to the violations file, synchronously (srt is about to exit), through the
 * descriptor opened before the run (../violations-file.ts: never through a symlink planted at its
 * name). Returns the error instead of throwing.
 */
export function appendViolation(
  fd: number,
  v: FileSystemViolation | NetworkViolation | LimitViolation | { readonly kind: "filesystem-write" },
): Error | undefined {
  try {
    writeSync(fd, `${jsonLine(v)}\n`);
    return undefined;
  } catch (e) {
    return e as Error;
  }
}

/** Counts per distinct (host, port, reason); `others` counts events past `maxKeys`. */
export interface ViolationSummary {
  readonly total: number;
  /** Most frequent first. */
  readonly byTarget: readonly {
    readonly host: string;
    readonly port: number;
    readonly reason: string;
    readonly count: number;
  }[];
  readonly others: number;
  /** Events left out by the filter given to summary(). */
  readonly ignored: number;
}

/** True = leave this event out of the report. */
export type ViolationFilter = (v: Pick<NetworkViolation, "host" | "port" | "reason">) => boolean;

export interface ViolationStore {
  /** The sink to hand to the proxies as `onViolation`. */
  readonly record: (v: NetworkViolation) => void;
  /** The most recent events, oldest first (at most `capacity`). */
  recent(): readonly NetworkViolation[];
  summary(ignore?: ViolationFilter): ViolationSummary;
  /** `srt: blocked 3 network requests: evil.test:443 (not on the allow list) …`, or undefined when none. */
  summaryLine(ignore?: ViolationFilter, maxTargets?: number): string | undefined;
  /** Flushes and closes the file, if any; the first write error, if one happened. */
  close(): Promise<Error | undefined>;
}

export interface ViolationStoreOptions {
  readonly capacity?: number;
  /** Distinct (host, port, reason) keys counted individually. */
  readonly maxKeys?: number;
  /** Append JSON lines here (created 0600; never through a symlink at its name, only to a regular file). */
  readonly file?: string;
  /** Or to this descriptor, opened by the caller (see ../violations-file.ts), which also closes it. */
  readonly fd?: number;
}

export function createViolationStore(options: ViolationStoreOptions = {}): ViolationStore {
  const capacity = Math.max(1, options.capacity ?? 1000);
  const maxKeys = Math.max(1, options.maxKeys ?? 256);
  const ring: NetworkViolation[] = [];
  let next = 0;
  let total = 0;
  let others = 0;
  const counts = new Map<string, { host: string; port: number; reason: string; count: number }>();
  let writeError: Error | undefined;
  let out: WriteStream | undefined;
  if (options.fd !== undefined) {
    out = createWriteStream("", { fd: options.fd, autoClose: false });
  } else if (options.file !== undefined) {
    const opened = openViolationsFile(options.file);
    if (opened.ok) out = createWriteStream("", { fd: opened.fd, autoClose: true });
    else writeError = new Error(opened.message);
  }
  out?.on("error", (e) => {
    writeError ??= e;
  });

  const record = (v: NetworkViolation): void => {
    total++;
    if (ring.length < capacity) ring.push(v);
    else ring[next] = v;
    next = (next + 1) % capacity;
    const key = `${v.host}\0${v.port}\0${v.reason}`;
    const c = counts.get(key);
    if (c) c.count++;
    else if (counts.size < maxKeys) counts.set(key, { host: v.host, port: v.port, reason: v.reason, count: 1 });
    else others++;
    if (out && !writeError) out.write(`${jsonLine(v)}\n`);
  };

  const summary = (ignore?: ViolationFilter): ViolationSummary => {
    let ignored = 0;
    const byTarget = [...counts.values()]
      .filter((c) => {
        const skip = ignore?.(c) ?? false;
        if (skip) ignored += c.count;
        return !skip;
      })
      .map((c) => ({ ...c }))
      .sort((a, b) => b.count - a.count || compareStrings(a.host, b.host) || a.port - b.port);
    return { total: total - ignored, byTarget, others, ignored };
  };

  return {
    record,
    recent: () => (ring.length < capacity ? [...ring] : [...ring.slice(next), ...ring.slice(0, next)]),
    summary,
    summaryLine(ignore, maxTargets = 3) {
      const s = summary(ignore);
      if (s.total === 0) return undefined;
      const shown = s.byTarget.slice(0, maxTargets).map((t) => {
        const target = `${t.host.includes(":") ? `[${t.host}]` : t.host}:${t.port}`;
        // Reasons usually start with the target itself; once is enough on one line.
        const reason = t.reason.startsWith(`${target} `) ? t.reason.slice(target.length + 1) : t.reason;
        // The host is the command's text: escaped wherever it appears, srt's own words around it made inert too.
        const safe = (text: string): string =>
          t.host === "" ? inertText(text) : text.split(t.host).map(inertText).join(inertHost(t.host));
        return `${safe(target)}${t.count > 1 ? ` ×${t.count}` : ""} (${safe(reason)})`;
      });
      const more = s.byTarget.length > maxTargets || s.others > 0 ? " …" : "";
      return `srt: blocked ${s.total} network request${s.total === 1 ? "" : "s"}: ${shown.join(", ")}${more}`;
    },
    close() {
      if (!out) return Promise.resolve(writeError);
      const stream = out;
      out = undefined;
      // end()'s callback can run before the 'error' event (a failed open), so take its error too.
      return new Promise((resolve) => stream.end((e?: Error | null) => resolve(writeError ?? e ?? undefined)));
    },
  };
}
