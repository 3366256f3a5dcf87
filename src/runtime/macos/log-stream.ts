/**
 * Violations on macOS come from the unified log: Seatbelt writes one line per
 * denial, and every srt rule carries `(with message "<tag> <origin>")`, so
 * `log stream` filtered on the session tag yields this run's denials only.
 *
 * The line shape assumed here — `Sandbox: NAME(PID) deny(N) OPERATION TARGET`
 * with the rule's message after it, in the `eventMessage` of an ndjson
 * record — follows what macOS tools print; it is parsed defensively (an
 * unknown line is skipped, never guessed at) and has not been checked on a
 * Mac from here. The tests feed canned lines only.
 */
import { originOfMessage } from "../../backends/seatbelt/index.js";

/** A session tag: srt makes them, and only this alphabet, so the predicate needs no escaping. */
const tagShape = /^[A-Za-z0-9_-]{1,64}$/;

export const logBinary = "/usr/bin/log";

/** `log stream` arguments for this session's denials. */
export function logStreamArgv(tag: string): readonly string[] {
  if (!tagShape.test(tag)) throw new Error(`session tag ${JSON.stringify(tag)} must match ${tagShape}`);
  return ["stream", "--style", "ndjson", "--level", "default", "--predicate", `eventMessage CONTAINS "${tag} "`];
}

export interface MacosViolation {
  readonly kind: "filesystem" | "network" | "other";
  /** The record's timestamp as logged (e.g. "2024-05-01 10:00:00.123456+0200"). */
  readonly time: string;
  readonly process: string;
  readonly pid: number;
  readonly operation: string;
  /** File path (filesystem), address (network) or other target, as logged; "" when none. */
  readonly path: string;
  /** The IR origin named by the rule's message: a settings pointer, mandatory:<rule> or default:<what>. */
  readonly origin: string;
}

const denial = /^Sandbox: (.+)\((\d+)\) deny\(\d+\) (\S+)(?: (.*))?$/s;

/** One ndjson line → a violation of this session, or undefined (another session, a header, noise). */
export function parseLogLine(line: string, tag: string): MacosViolation | undefined {
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    return undefined; // `log stream` prints a plain header line first
  }
  if (typeof record !== "object" || record === null) return undefined;
  const { eventMessage, timestamp } = record as { eventMessage?: unknown; timestamp?: unknown };
  if (typeof eventMessage !== "string") return undefined;
  const m = denial.exec(eventMessage.trimEnd());
  if (m === null) return undefined;
  const [, process, pid, operation, rest = ""] = m;
  // The message is the tail: "<target> <tag> <origin>"; the last occurrence wins, so a path holding the tag cannot forge an origin.
  const at = rest.startsWith(`${tag} `) ? 0 : rest.lastIndexOf(` ${tag} `) + 1;
  if (at === 0 && !rest.startsWith(`${tag} `)) return undefined;
  const origin = originOfMessage(tag, rest.slice(at));
  if (origin === undefined || origin === "") return undefined;
  return {
    kind: operation!.startsWith("file") ? "filesystem" : operation!.startsWith("network") ? "network" : "other",
    time: typeof timestamp === "string" ? timestamp : "",
    process: process!,
    pid: Number(pid),
    operation: operation!,
    path: rest.slice(0, Math.max(0, at - 1)),
    origin,
  };
}
