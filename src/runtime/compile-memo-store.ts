/**
 * Where the compile traces of compile-memo.ts live: one file per compile input (the settings
 * text, the options, the working directory and the rest of the Host's environment, srt's build
 * and Node), in `compile-memo/` of srt's state directory, which no sandbox can reach; read and
 * written as checked-file.ts says. A file that fails any check, or does not parse, is no memo:
 * the compile runs, as without one. Only a compile without errors is kept.
 *
 * Only Linux for now, whose file systems are named below: the time rules of compile-memo.ts have
 * not been checked against macOS's.
 */
import { readFileSync, statfsSync, statSync } from "node:fs";
import { join } from "node:path";
import type { CompileInput, CompileResult } from "../compiler/compile.js";
import type { Host } from "../compiler/host.js";
import { crc32, readCheckedFile, writeCheckedFile, type CheckedFileKind } from "./checked-file.js";
import { recordingHost, traceHolds, type Call, type DirState, type MemoDeps, type Trace } from "./compile-memo.js";
import { osPath } from "./os-path.js";

const magic = "srt-compile-memo 1";
/** Far above a large project's trace (a tree of 1,253 directories: about 0.2 MiB). */
const maxBytes = 32 * 1024 * 1024;
/** Memos kept beside the current one: other projects' and settings'. */
const keep = 32;

/**
 * File systems whose times the local kernel keeps (statfs f_type): ext2/3/4, XFS, Btrfs, tmpfs,
 * overlayfs (a container's root: a directory takes its upper layer's times once it is there,
 * and a change to one puts it there), ZFS and F2FS. Not NFS, FUSE or 9p: another machine or
 * process supplies their times.
 */
const localFs: ReadonlySet<number> = new Set([
  0xef53, 0x58465342, 0x9123683e, 0x01021994, 0x794c7630, 0x2fc12fc1, 0xf2f52010,
]);

/** stat, statfs and SHA-256 through Node (node:crypto only when a listing is compared: it costs a start ~3 ms). */
export function nodeMemoDeps(): MemoDeps {
  const fsOk = new Map<bigint, boolean>();
  let sha256: ((text: string) => string) | undefined;
  return {
    dirState: (path) => {
      try {
        const s = statSync(osPath(path), { bigint: true, throwIfNoEntry: false });
        return s?.isDirectory() ? { dev: s.dev, ino: s.ino, mtimeNs: s.mtimeNs, ctimeNs: s.ctimeNs } : undefined;
      } catch {
        return undefined;
      }
    },
    trustedFs: (path, dev) => {
      let ok = fsOk.get(dev);
      if (ok === undefined) {
        try {
          ok = localFs.has(Number(statfsSync(osPath(path)).type));
        } catch {
          ok = false;
        }
        fsOk.set(dev, ok);
      }
      return ok;
    },
    nowMs: () => Date.now(),
    clock: () => ({ boot: bootId(), aheadMs: Date.now() - Number(process.hrtime.bigint() / 1_000_000n) }),
    digest: (text) => {
      if (sha256 === undefined) {
        // `require`, as thread.ts: createRequire would load node:module, and with it Node's ES module
        // loader, on every start of the run mode (this module is on its path).
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const crypto = require("node:crypto") as typeof import("node:crypto");
        sha256 = (t) => crypto.createHash("sha256").update(t).digest("base64");
      }
      return sha256(text);
    },
  };
}

/** This boot's id; unreadable, one no other process shares (so no state outlives this compile). */
function bootId(): string {
  try {
    return readFileSync("/proc/sys/kernel/random/boot_id", "latin1").trim();
  } catch {
    return `unknown:${process.pid}:${Date.now()}:${Math.random()}`;
  }
}

/** Where a memo is kept and for which build of srt's compiler; no build (srt's sources run unbundled): no memo. */
export interface MemoPlace {
  readonly stateDir: string;
  readonly uid: number;
  readonly build: string | undefined;
}

/** The compile's input as a memo's key: everything the compiler takes but the Host's answers. */
function keyOf(input: Omit<CompileInput, "host">, host: Host, build: string): string {
  const { cwd, home, platform, uid, stateDir } = host.env;
  return JSON.stringify([
    build,
    process.version,
    input.text ?? null,
    input.file,
    input.target,
    input.installDir ?? null,
    input.settingsLookup ?? null,
    input.outputs ?? null,
    input.limits ?? null,
    input.additions ?? null,
    [cwd, home, platform, uid, stateDir],
  ]);
}

interface Stored {
  readonly trace: Trace;
  readonly result: CompileResult;
}

const ops: ReadonlySet<unknown> = new Set(["lstat", "realpath", "readlink", "readFile", "readdir"]);

/** Every question well-formed: one this code does not know would be one it cannot ask again. */
const isCall = (c: unknown): c is Call => {
  const call = c as Record<string, unknown> | null;
  return (
    typeof call === "object" &&
    call !== null &&
    ops.has(call["op"]) &&
    typeof call["path"] === "string" &&
    typeof call["answer"] === "string" &&
    (call["op"] !== "readFile" || typeof call["maxBytes"] === "number") &&
    (call["state"] === undefined || (call["op"] === "readdir" && typeof call["state"] === "string"))
  );
};

const isVarRead = (v: unknown): boolean =>
  Array.isArray(v) && v.length === 2 && typeof v[0] === "string" && (typeof v[1] === "string" || v[1] === null);

const isStored = (v: unknown): v is Stored => {
  const s = v as Partial<Stored> | null;
  return (
    typeof s === "object" &&
    s !== null &&
    Array.isArray(s.trace?.calls) &&
    s.trace.calls.every(isCall) &&
    Array.isArray(s.trace.vars) &&
    s.trace.vars.every(isVarRead) &&
    (s.trace.clock === undefined ||
      (typeof s.trace.clock.boot === "string" && typeof s.trace.clock.aheadMs === "number")) &&
    (s.trace.varNames === undefined ||
      (Array.isArray(s.trace.varNames) && s.trace.varNames.every((n) => typeof n === "string"))) &&
    typeof s.result === "object" &&
    s.result !== null &&
    Array.isArray(s.result.diagnostics)
  );
};

/** A memo file's payload as a memo, or undefined when it is none (absent, not JSON, not well-formed). */
function parseStored(data: Buffer | undefined): Stored | undefined {
  if (data === undefined) return undefined;
  try {
    const v: unknown = JSON.parse(data.toString("utf8"));
    return isStored(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Runs a memo's write: now (the default), or later, when the caller has something better to do
 * first — the run mode starts the sandbox, then writes (issue 19). `write` returns why nothing
 * was kept, or undefined.
 */
export type MemoWriter = (write: () => string | undefined) => void;

/**
 * The compile of `input` on `host`: the recorded one when its trace still holds, else `compile`
 * run through a recording Host and kept for the next time. `how` says which, for -d. With
 * `later`, the memo is written when `later` runs what it is given (and why nothing was kept is not
 * in `how`): the result is serialized then too, and it and the trace are what they were now —
 * readonly data, and variables that no one changes within a process.
 */
export function memoizedCompile(
  input: Omit<CompileInput, "host">,
  host: Host,
  place: MemoPlace,
  compile: (input: CompileInput) => CompileResult,
  deps: MemoDeps = nodeMemoDeps(),
  later?: MemoWriter,
): { result: CompileResult; how: string } {
  if (place.build === undefined || process.platform !== "linux" || place.uid < 0)
    return { result: compile({ ...input, host }), how: "compiled (no memo: off, or not here)" };
  const key = keyOf(input, host, place.build);
  const kind: CheckedFileKind = { magic, key, maxBytes };
  const dir = join(place.stateDir, "compile-memo");
  const name = `${(crc32?.(key) ?? 0).toString(16).padStart(8, "0")}.json`;
  const write = (trace: Trace, resultText: string): string | undefined =>
    writeCheckedFile(
      place.stateDir,
      dir,
      name,
      kind,
      place.uid,
      Buffer.from(`{"trace":${JSON.stringify(trace)},"result":${resultText}}`),
      { count: keep, suffix: ".json" },
    );
  /** `save` run now or later: why nothing was kept (now), or undefined. */
  const keepNowOrLater = (save: () => string | undefined): string | undefined => {
    if (later === undefined) return save();
    later(save);
    return undefined;
  };
  const stored = parseStored(readCheckedFile(place.stateDir, dir, name, kind, place.uid).data);
  let broke: string | undefined;
  const statesSeen = new Map<string, DirState | undefined>();
  if (stored !== undefined) {
    const check = traceHolds(stored.trace, host, deps, statesSeen);
    broke = check.broke;
    if (check.holds) {
      const unsaved = check.refreshed
        ? keepNowOrLater(() => write(stored.trace, JSON.stringify(stored.result)))
        : undefined;
      return {
        result: stored.result,
        how: `reused (${stored.trace.calls.length} answers still hold)${unsaved === undefined ? "" : `; not kept: ${unsaved}`}`,
      };
    }
  }
  const recording = recordingHost(host, deps, stored?.trace, statesSeen);
  const result = compile({ ...input, host: recording.host });
  if (result.policy === undefined) return { result, how: "compiled (errors: not kept)" };
  const unsaved = keepNowOrLater(() => {
    // Serialized before the trace is taken: should the result hold the recorded variables
    // themselves, what serializing reads of them is part of the trace too.
    const resultText = JSON.stringify(result);
    const trace = recording.trace();
    return trace === undefined ? "the machine changed during the compile" : write(trace, resultText);
  });
  const notes = [
    broke === undefined ? [] : [`the memo's answer to ${broke} changed`],
    unsaved === undefined ? [] : [`not kept: ${unsaved}`],
  ].flat();
  return { result, how: `compiled${notes.length === 0 ? "" : ` (${notes.join("; ")})`}` };
}
