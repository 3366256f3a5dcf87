/**
 * A compile's answer reused while the machine still answers as it did (issue 19). The compiler is
 * pure: its result is a function of its input and of what the Host answered (eslint.purity.js
 * holds every stage to that). So a compile run through a recording Host leaves a trace — each
 * question and its answer — and a later compile with the same input may take the recorded result
 * when every question, asked again, gets the same answer. Most questions are cheap to ask again
 * (an lstat, a small file). The expensive one is listing a directory, and the mandatory search
 * lists every directory below the writable roots: in a project with node_modules, most of a
 * compile. A directory's listing is checked by its state instead (below); only a directory whose
 * state moved is listed again and compared with a digest of the recorded listing.
 *
 * Against whom: a sandboxed command of the same user, in an earlier run or beside this one, that
 * wants a compile to miss what it made (a git directory with hooks, an editor's config) so that no
 * rule protects it. Every change to a directory's entries (create, unlink, rename in or out,
 * mkdir, rmdir, link, symlink) sets its ctime to the current time, and no call sets ctime to
 * anything else (utimes moves mtime and sets ctime to now). So a listing is taken as unchanged
 * only for the same device, inode, mtime and ctime, to the nanosecond. What remains is the clock's
 * granularity: file times come from a coarse clock (a tick, or a whole second on some file
 * systems), so a change in the same tick as the recorded listing could leave ctime as it was. A
 * state is therefore recorded only when the directory's ctime was at least `settleMs` older than
 * the moment before srt looked at it (git's "racily clean" rule): any later change gets a later
 * ctime. Setting the clock back would defeat that, which needs CAP_SYS_TIME: no sandbox's. Only
 * file systems whose times the local kernel keeps take part (MemoDeps.trustedFs). A directory
 * without a recorded state, or whose state moved, is listed again and compared with the recorded
 * listing: the listing itself when it is small, else its SHA-256 digest, which no one can make two
 * listings share. The environment's variables are recorded as they are read.
 * Where traces live, and how they are checked, is compile-memo-store.ts.
 */
import type { DirEntry, Host, HostResult } from "../compiler/host.js";

/** One state of a directory, as stat(2) gives it. */
export interface DirState {
  readonly dev: bigint;
  readonly ino: bigint;
  readonly mtimeNs: bigint;
  readonly ctimeNs: bigint;
}

export interface MemoDeps {
  /** stat(2), following links as opening the directory to list it does; undefined when that fails or it is no directory. */
  dirState(path: string): DirState | undefined;
  /** Whether the file system of `path` (device `dev`) keeps its times in the local kernel. */
  trustedFs(path: string, dev: bigint): boolean;
  /** Wall-clock milliseconds: the clock file times come from. */
  nowMs(): number;
  /** A collision-resistant digest of a text. */
  digest(text: string): string;
  /** This boot's id, and how far the wall clock is ahead of the monotonic one (ms): see ClockMark. */
  clock(): ClockMark;
}

/**
 * The wall clock against the monotonic clock, when a trace's states were taken. A state stands for
 * its listing only while no change can get its ctime again, which a wall clock set back by more
 * than settleMs would allow: at the moment it shows that time again. Such a step, by the
 * administrator, NTP or a VM's restore, moves the wall clock back against the monotonic one; so
 * does a boot with a clock behind (a new boot id). Either, and no recorded state is trusted.
 * A step back and forth again between two compiles leaves no mark (the residual risk, README).
 */
export interface ClockMark {
  readonly boot: string;
  readonly aheadMs: number;
}

/** How far the wall clock may move back against the monotonic one before states are distrusted: NTP's slewing, never a settleMs step. */
const clockSlackMs = 500;

/** Whether the states of a trace marked `then` may still be trusted `now`. */
export const clockHeld = (then: ClockMark | undefined, now: ClockMark): boolean =>
  then !== undefined && then.boot === now.boot && now.aheadMs >= then.aheadMs - clockSlackMs;

/** One question and its answer. */
export type Call =
  | { readonly op: "lstat" | "realpath" | "readlink"; readonly path: string; readonly answer: string }
  | { readonly op: "readFile"; readonly path: string; readonly maxBytes: number; readonly answer: string }
  | {
      readonly op: "readdir";
      readonly path: string;
      /** The directory's settled state when it was listed (stateKey), if it was settled. */
      state?: string;
      /** listingAnswer: the listing itself ("=…") or its digest ("#…"); or "error:CODE". */
      readonly answer: string;
    };

/** A variable of the environment as the compile read it: its value, or null when unset. */
export type VarRead = readonly [name: string, value: string | null];

export interface Trace {
  readonly calls: Call[];
  readonly vars: VarRead[];
  /** The clocks when the first of its states was taken (ClockMark). */
  clock?: ClockMark;
  /** The names of all variables, when the compile enumerated them. */
  readonly varNames?: readonly string[];
}

/** How much older than the listing a directory's ctime must be for its state to be recorded. */
export const settleMs = 2000;

export const stateKey = (s: DirState): string => `${s.dev}:${s.ino}:${s.mtimeNs}:${s.ctimeNs}`;

const settled = (s: DirState, before: number): boolean =>
  s.ctimeNs < BigInt(Math.floor(before - settleMs)) * 1_000_000n;

/** The same for the same entries in any order (the Host gives them in any order; the compiler sorts). */
const listingText = (entries: readonly DirEntry[]): string =>
  JSON.stringify(entries.map((e) => [e.name, e.kind]).sort((a, b) => (a[0]! < b[0]! ? -1 : a[0]! > b[0]! ? 1 : 0)));

const answerOf = (r: HostResult<unknown>): string => JSON.stringify(r);

/**
 * Up to this many entries, a listing is recorded as it is; above, by its digest. The directories
 * srt itself changes on every run (the working directory, where it makes and removes placeholders
 * for absent protected names) are compared again at each compile: kept whole, that costs no hash
 * (node:crypto alone costs a start ~3 ms and 0.8 MiB), and a large project's trace stays small.
 */
const wholeListing = 32;

const listingAnswer = (entries: readonly DirEntry[], deps: MemoDeps): string =>
  entries.length <= wholeListing ? `=${listingText(entries)}` : `#${deps.digest(listingText(entries))}`;

/** Lists `path` now, with the answer to record: the state is taken first, so a change after it makes the listing newer than its key, never older. */
function listNow(
  host: Host,
  deps: MemoDeps,
  path: string,
): { result: HostResult<readonly DirEntry[]>; answer: string; state?: string } {
  const before = deps.nowMs();
  const st = deps.dirState(path);
  const result = host.readdir(path);
  const answer = result.ok ? listingAnswer(result.value, deps) : `error:${result.code}`;
  return st !== undefined && result.ok && deps.trustedFs(path, st.dev) && settled(st, before)
    ? { result, answer, state: stateKey(st) }
    : { result, answer };
}

/** The entries of a listing recorded whole, or undefined when `answer` is not one (a digest, an error, damage). */
function recordedEntries(answer: string): DirEntry[] | undefined {
  if (!answer.startsWith("=")) return undefined;
  try {
    const rows = JSON.parse(answer.slice(1)) as unknown;
    if (!Array.isArray(rows)) return undefined;
    const entries: DirEntry[] = [];
    for (const row of rows) {
      if (!Array.isArray(row) || typeof row[0] !== "string" || !kinds.has(row[1] as string)) return undefined;
      entries.push({ name: row[0], kind: row[1] as DirEntry["kind"] });
    }
    return entries;
  } catch {
    return undefined;
  }
}

const kinds: ReadonlySet<string> = new Set<DirEntry["kind"]>(["file", "dir", "symlink", "other"]);

/**
 * `host`, recording every question the compile asks. trace() is undefined when the compile saw
 * one question answered two ways (the machine changed under it): no trace can stand for it.
 * `earlier`, a trace that no longer holds as a whole, still vouches for each directory whose
 * settled state it recorded and which is in that state now: such a listing is not made again
 * when the trace holds it whole, nor its digest computed again when it holds that.
 * `statesSeen`: the states traceHolds took of those directories.
 */
export function recordingHost(
  host: Host,
  deps: MemoDeps,
  earlier?: Trace,
  statesSeen?: ReadonlyMap<string, DirState | undefined>,
): { host: Host; trace(): Trace | undefined } {
  const mark = deps.clock();
  // The earlier trace's states, unless the wall clock was set back since they were taken.
  const trusted = earlier !== undefined && clockHeld(earlier.clock, mark);
  const known = new Map<string, { readonly state: string; readonly answer: string }>();
  if (trusted)
    for (const c of earlier.calls) if (c.op === "readdir" && c.state !== undefined) known.set(c.path, c as never);
  let vouched = false;
  const calls = new Map<string, Call>();
  let torn = false;
  const note = (key: string, call: Call): void => {
    const seen = calls.get(key);
    if (seen === undefined) calls.set(key, call);
    else if (seen.answer !== call.answer) torn = true;
  };
  const vars = new Map<string, VarRead>();
  let varNames: string[] | undefined;
  const source = host.env.vars;
  const read = (name: string): string | undefined => {
    const v = Object.hasOwn(source, name) ? source[name] : undefined;
    if (!vars.has(name)) vars.set(name, [name, v ?? null]);
    return v;
  };
  // Reads of the variables, however the compiler makes them (by name, `in`, or listing them all).
  const recordedVars = new Proxy(source, {
    get: (_t, name) => (typeof name === "string" ? read(name) : undefined),
    has: (_t, name) => typeof name === "string" && read(name) !== undefined,
    ownKeys: () => (varNames ??= Object.keys(source).sort()),
    getOwnPropertyDescriptor: (_t, name) => {
      if (typeof name !== "string") return undefined;
      const v = read(name);
      return v === undefined ? undefined : { value: v, writable: false, enumerable: true, configurable: true };
    },
  });
  return {
    host: {
      lstat: (path) => {
        const r = host.lstat(path);
        note(`lstat\0${path}`, { op: "lstat", path, answer: answerOf(r) });
        return r;
      },
      realpath: (path) => {
        const r = host.realpath(path);
        note(`realpath\0${path}`, { op: "realpath", path, answer: answerOf(r) });
        return r;
      },
      readlink: (path) => {
        const r = host.readlink(path);
        note(`readlink\0${path}`, { op: "readlink", path, answer: answerOf(r) });
        return r;
      },
      readFile: (path, maxBytes) => {
        const r = host.readFile(path, maxBytes);
        note(`readFile\0${maxBytes}\0${path}`, { op: "readFile", path, maxBytes, answer: answerOf(r) });
        return r;
      },
      readdir: (path) => {
        const was = known.get(path);
        if (was !== undefined) {
          // The state traceHolds just saw, if it looked: a snapshot a few milliseconds older, as
          // any walk's listings are of different moments.
          const st = statesSeen?.has(path) === true ? statesSeen.get(path) : deps.dirState(path);
          if (st !== undefined && deps.trustedFs(path, st.dev) && stateKey(st) === was.state) {
            // The state the earlier trace recorded, settled then: the listing it recorded. Listed
            // when only its digest was kept, and used only if the state held throughout.
            const whole = recordedEntries(was.answer);
            const result = whole !== undefined ? { ok: true as const, value: whole } : host.readdir(path);
            const after = whole !== undefined ? st : deps.dirState(path);
            if (result.ok && after !== undefined && stateKey(after) === was.state) {
              vouched = true;
              note(`readdir\0${path}`, { op: "readdir", path, answer: was.answer, state: was.state });
              return result;
            }
          }
        }
        const { result, answer, state } = listNow(host, deps, path);
        note(`readdir\0${path}`, { op: "readdir", path, answer, ...(state === undefined ? {} : { state }) });
        return result;
      },
      now: () => host.now(),
      env: { ...host.env, vars: recordedVars },
    },
    trace: () =>
      torn
        ? undefined
        : {
            calls: [...calls.values()],
            vars: [...vars.values()],
            ...(varNames === undefined ? {} : { varNames }),
            // A state carried over keeps the earlier trace's mark: clock steps are checked from there.
            clock: vouched && earlier?.clock !== undefined ? earlier.clock : mark,
          },
  };
}

/**
 * Whether every question of `trace` gets the recorded answer from `host` now. A directory listed
 * again whose state has settled since gets that state recorded (`refreshed` says so): the listing
 * was compared right after the state was taken, so that state stands for the recorded listing.
 */
export function traceHolds(
  trace: Trace,
  host: Host,
  deps: MemoDeps,
  statesSeen?: Map<string, DirState | undefined>,
): { holds: boolean; refreshed: boolean; broke?: string } {
  let refreshed = false;
  // With the wall clock set back since the states were taken, none is trusted: every directory is
  // listed and compared, and the states are taken again.
  const mark = deps.clock();
  const trustStates = clockHeld(trace.clock, mark);
  const vars = host.env.vars;
  const value = (name: string): string | null => (Object.hasOwn(vars, name) ? vars[name]! : null);
  const changed = trace.vars.find(([name, v]) => value(name) !== v);
  if (changed !== undefined) return { holds: false, refreshed, broke: `$${changed[0]}` };
  if (trace.varNames !== undefined && trace.varNames.join("\0") !== Object.keys(vars).sort().join("\0"))
    return { holds: false, refreshed, broke: "the environment's names" };
  for (const call of trace.calls) {
    switch (call.op) {
      case "lstat":
      case "realpath":
      case "readlink":
        if (answerOf(host[call.op](call.path)) !== call.answer)
          return { holds: false, refreshed, broke: `${call.op} ${call.path}` };
        break;
      case "readFile":
        if (answerOf(host.readFile(call.path, call.maxBytes)) !== call.answer)
          return { holds: false, refreshed, broke: `readFile ${call.path}` };
        break;
      case "readdir": {
        if (call.state !== undefined && trustStates) {
          const st = deps.dirState(call.path);
          statesSeen?.set(call.path, st);
          if (st !== undefined && deps.trustedFs(call.path, st.dev) && stateKey(st) === call.state) break;
        }
        const now = listNow(host, deps, call.path);
        if (now.answer !== call.answer) return { holds: false, refreshed, broke: `readdir ${call.path}` };
        if (now.state !== call.state) {
          if (now.state === undefined) delete call.state;
          else call.state = now.state;
          refreshed = true;
        }
        break;
      }
      default:
        // A question this code cannot ask again (a memo from elsewhere): nothing holds.
        return { holds: false, refreshed, broke: "an unknown question" };
    }
  }
  if (!trustStates) {
    trace.clock = mark;
    refreshed = true;
  }
  return { holds: true, refreshed };
}
