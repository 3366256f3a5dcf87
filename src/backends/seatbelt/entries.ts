/**
 * Rules before they are printed: one filter each, with the facts that decide
 * their place. Seatbelt applies the *last* rule that matches an operation,
 * so order is meaning; `orderEntries` makes it a pure function of the
 * entries (never of input order), and `groupEntries` merges neighbours with
 * the same action, operations and origin into one rule with one comment.
 */
import type { Origin } from "../../compiler/ir.js";
import { messageOf } from "./message.js";
import { blank, comment, rule, type Action, type Filter, type Item } from "./sbpl.js";
import type { Operation } from "./vocabulary.js";
import { compareStrings } from "../../compiler/compare.js";

export interface Entry {
  /** Coarse position: later phases override earlier ones (see lowerFilesystem). */
  readonly phase: number;
  /** Path depth inside a phase: a deeper rule comes later and wins, as a deeper mount does on Linux. */
  readonly depth: number;
  readonly action: Action;
  readonly ops: readonly Operation[];
  readonly origin: Origin;
  /** What the group does, for the comment above it. */
  readonly note: string;
  readonly filter: Filter;
  /** Tie-breaker: the path or regex the filter holds. */
  readonly key: string;
}

/** Phase, then depth, then allow before deny (so at the same place the deny wins), then origin, note, key. */
export function orderEntries(entries: readonly Entry[]): Entry[] {
  return [...entries].sort(
    (a, b) =>
      a.phase - b.phase ||
      a.depth - b.depth ||
      compareStrings(a.action, b.action) ||
      compareStrings(a.origin, b.origin) ||
      compareStrings(a.note, b.note) ||
      compareStrings(a.key, b.key),
  );
}

/** Ordered entries → commented rules, duplicates dropped. */
export function groupEntries(tag: string, ordered: readonly Entry[]): Item[] {
  const items: Item[] = [];
  let i = 0;
  while (i < ordered.length) {
    const first = ordered[i]!;
    const filters: Filter[] = [];
    const seen = new Set<string>();
    let j = i;
    for (; j < ordered.length; j++) {
      const e = ordered[j]!;
      if (
        e.phase !== first.phase ||
        e.action !== first.action ||
        e.origin !== first.origin ||
        e.note !== first.note ||
        e.ops.join() !== first.ops.join()
      )
        break;
      if (seen.has(e.key)) continue;
      seen.add(e.key);
      filters.push(e.filter);
    }
    items.push(
      comment(`${first.origin}: ${first.note}`),
      rule(first.action, first.ops, messageOf(tag, first.origin), filters),
      blank,
    );
    i = j;
  }
  return items;
}
