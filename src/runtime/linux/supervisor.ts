/**
 * The runtime's half of srt's in-sandbox supervisor (native/srt-supervise, whose main.c states its
 * threat model): the configuration it reads from a pipe before the command exists, and the records
 * it writes back (its status, and every write it refused or saw refused).
 *
 * Fail closed: a run whose supervisor never said "ready" did not run its command (the supervisor
 * execs the command only after the filter and its listener are in place), and is a failure
 * (SRT511) naming what was missing, never a run without it.
 */
import type { Readable } from "node:stream";
import type { SupervisorPlan } from "../../backends/bwrap/index.js";
import { decodeBytes } from "../../compiler/byte-paths.js";
import { nulFields } from "./nul-fields.js";

/**
 * The bytes of the configuration pipe (format: native/srt-supervise/config.c). `bound`: the roots
 * the engine mounts as binds of their own (a bwrap plan's writable binds and `tmp`), each of which
 * the supervisor checks is a writable mount when it starts (native/srt-supervise/roots.c).
 * `identities`: roots whose directory the supervisor must find mounted, by the device and inode
 * srt found on the host (root-identity.ts), for engines that resolve a bind's source themselves.
 */
export function supervisorConfig(
  plan: SupervisorPlan,
  bpf: Uint8Array,
  tmp: string,
  bound: readonly string[] = [],
  identities: readonly { readonly path: string; readonly dev: string; readonly ino: string }[] = [],
): Buffer {
  const fields: string[] = [];
  const field = (...fs: readonly string[]): void => void fields.push(...fs);
  for (const n of plan.names) field("name", n.origin, n.name);
  for (const n of plan.gitDirNames) field("gitdir", n.origin, n.name);
  for (const p of plan.paths) field("path", p.origin, p.path);
  for (const r of [...plan.roots, tmp]) field("root", r);
  for (const b of bound) field("bound", b);
  for (const r of identities) field("rootid", `${r.dev}:${r.ino}`, r.path);
  if (plan.unixSockets !== undefined) {
    field("unix-scoped");
    for (const s of plan.unixSockets) field("socket", s.path);
  }
  if (plan.landlock) field("landlock");
  field("end");
  return Buffer.concat([nulFields(["srt-supervise-1", "bpf", String(bpf.length)]), bpf, nulFields(fields)]);
}

/** A write the policy refused, as the supervisor saw it. */
export interface WriteRefusal {
  /** create, write, mkdir, mknod, rename, link, symlink, unlink, rmdir, chmod, bind, connect. */
  readonly operation: string;
  readonly errno: string;
  /** The protected-name rule (`mandatory:…`) when srt's supervisor refused it; "" when a mount did. */
  readonly rule: string;
  /** The path as resolved in the sandbox; the command's bytes (made inert before printing). */
  readonly path: string;
  /** ISO 8601, when srt read it. */
  readonly time: string;
}

export interface SupervisorReport {
  /** The filter and its listener were in place before the command started. */
  readonly ready: boolean;
  /** Why the supervisor could not start, in its words. */
  readonly failed?: string;
  /** The Landlock ABI the wall was built with; 0 = the kernel has no (usable) Landlock. */
  readonly landlock?: number;
  /**
   * A writable root the supervisor found reached through a symbolic link after the mounts
   * (native/srt-supervise/roots.c): replaced since the plan was compiled; the command did not run.
   */
  readonly moved?: string;
  readonly refusals: readonly WriteRefusal[];
  /** Refusals beyond the kept ones (counted, not kept). */
  readonly dropped: number;
}

const MAX_KEPT = 1000;

/** Collects the records until the pipe ends (the supervisor and every copy of the fd are gone). */
export function readSupervisorReport(stream: Readable, now: () => string): Promise<SupervisorReport> {
  return new Promise((resolve) => {
    let pending = Buffer.alloc(0);
    let ready = false;
    let failed: string | undefined;
    let landlock: number | undefined;
    let moved: string | undefined;
    let dropped = 0;
    const refusals: WriteRefusal[] = [];
    const seen = new Set<string>();
    const record = (f: readonly string[]): void => {
      const [op = "", errno = "", rule = "", path = ""] = f;
      if (op === "status") {
        if (errno === "ready") ready = true;
        else if (errno === "failed") failed = path;
        else if (errno === "landlock") landlock = Number(path);
        else if (errno === "moved") moved = path;
        return;
      }
      const key = f.join("\0");
      if (seen.has(key)) return;
      if (refusals.length >= MAX_KEPT) {
        dropped++;
        return;
      }
      seen.add(key);
      refusals.push({ operation: op, errno, rule, path, time: now() });
    };
    stream.on("data", (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      // Records are 4 NUL-terminated fields.
      for (;;) {
        const fields: string[] = [];
        let at = 0;
        for (let i = 0; i < 4; i++) {
          const z = pending.indexOf(0, at);
          if (z < 0) break;
          fields.push(decodeBytes(pending.subarray(at, z)));
          at = z + 1;
        }
        if (fields.length < 4) break;
        pending = pending.subarray(at);
        record(fields);
      }
    });
    const end = (): void =>
      resolve({
        ready,
        ...(failed === undefined ? {} : { failed }),
        ...(landlock === undefined ? {} : { landlock }),
        ...(moved === undefined ? {} : { moved }),
        refusals,
        dropped,
      });
    stream.once("end", end);
    stream.once("error", end);
    stream.once("close", end);
  });
}
