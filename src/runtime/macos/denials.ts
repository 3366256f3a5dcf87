/**
 * Seatbelt denials of one run, as the log reader delivers them: exact totals
 * in bounded memory (a command looping on a denied file must not grow srt
 * without end), a one-line summary like the network one, and JSON lines for
 * the `--violations` file.
 *
 * `ignoreViolations` applies here as in the tool the settings come from,
 * where its entries are mostly paths: the command pattern `*` applies to every
 * command, any other to command lines containing it; a violation pattern
 * without `*` hides denials whose `operation path` text contains it, one with
 * `*` (any run of characters) must match the whole path. (The network
 * report's filter lives in proxy/ignore.ts and matches `host:port` text.)
 */
import { inertText, jsonLine } from "../untrusted-text.js";
import type { IgnoreRule } from "../../compiler/ir.js";
import type { MacosViolation } from "./log-stream.js";
import { compareStrings } from "../../compiler/compare.js";

export interface DenialStore {
  readonly record: (v: MacosViolation) => void;
  readonly total: () => number;
  /** `srt: the sandbox denied 2 operations: file-write-create /x (mandatory:…) …`, or undefined. */
  summaryLine(ignore: readonly IgnoreRule[], command: readonly string[], maxShown?: number): string | undefined;
  /** JSON lines of the kept events, oldest first (at most `capacity`), for the violations file. */
  jsonLines(): string;
}

interface Count {
  readonly operation: string;
  readonly path: string;
  readonly origin: string;
  count: number;
}

export function createDenialStore(capacity = 1000, maxKeys = 256): DenialStore {
  const kept: MacosViolation[] = [];
  const counts = new Map<string, Count>();
  let total = 0;
  let others = 0;
  return {
    record(v) {
      total++;
      if (kept.length < capacity) kept.push(v);
      const key = `${v.operation}\0${v.path}\0${v.origin}`;
      const c = counts.get(key);
      if (c) c.count++;
      else if (counts.size < maxKeys)
        counts.set(key, { operation: v.operation, path: v.path, origin: v.origin, count: 1 });
      else others++;
    },
    total: () => total,
    summaryLine(ignore, command, maxShown = 3) {
      const hidden = ignoreFilter(ignore, command);
      const shown = [...counts.values()]
        .filter((c) => !hidden(c))
        .sort(
          (a, b) => b.count - a.count || compareStrings(a.path, b.path) || compareStrings(a.operation, b.operation),
        );
      const n = shown.reduce((s, c) => s + c.count, 0) + others;
      if (n === 0) return undefined;
      // Paths are the command's text (it chose what to touch): inert, as in every report (../untrusted-text.ts).
      const parts = shown
        .slice(0, maxShown)
        .map(
          (c) =>
            `${inertText(c.operation)}${c.path === "" ? "" : ` ${inertText(c.path)}`}${c.count > 1 ? ` ×${c.count}` : ""} (${inertText(c.origin)})`,
        );
      const more = shown.length > maxShown || others > 0 ? " …" : "";
      return `srt: the sandbox denied ${n} operation${n === 1 ? "" : "s"}: ${parts.join(", ")}${more}`;
    },
    jsonLines: () => kept.map((v) => `${jsonLine({ source: "seatbelt", ...v })}\n`).join(""),
  };
}

function ignoreFilter(
  rules: readonly IgnoreRule[],
  command: readonly string[],
): (c: Pick<Count, "operation" | "path">) => boolean {
  const line = command.join(" ");
  const patterns = rules
    .filter((r) => r.command === "*" || (r.command !== "" && line.includes(r.command)))
    .flatMap((r) => r.violations);
  if (patterns.length === 0) return () => false;
  const checks = patterns.map((p): ((c: Pick<Count, "operation" | "path">) => boolean) => {
    if (!p.includes("*")) return (c) => `${c.operation} ${c.path}`.includes(p);
    const re = new RegExp(
      `^${p
        .split("*")
        .map((s) => s.replace(/[\\^$.|?+()[\]{}]/g, "\\$&"))
        .join(".*")}$`,
      "s",
    );
    return (c) => re.test(c.path);
  });
  return (c) => checks.some((check) => check(c));
}
