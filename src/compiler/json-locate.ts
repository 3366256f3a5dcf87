/**
 * Maps JSON pointers back to places in the settings text, so a diagnostic can
 * say `file:line:col` and show a code frame, and finds duplicate keys, which
 * JSON.parse silently resolves to the last one (a reviewer reading the first
 * would be misled about the policy). Iterative, so deep nesting cannot blow the
 * stack; only ever run on text that JSON.parse accepted.
 */
import { escapeSegment } from "./pointer.js";

export interface JsonLocations {
  /** pointer → offset of the key (for members) or of the value (array items, root). */
  readonly at: ReadonlyMap<string, number>;
  readonly duplicates: readonly { readonly pointer: string; readonly offset: number }[];
}

interface Frame {
  readonly pointer: string;
  readonly isArray: boolean;
  index: number;
  readonly keys: Set<string>;
}

export function locateJson(text: string): JsonLocations {
  const at = new Map<string, number>();
  const duplicates: { pointer: string; offset: number }[] = [];
  const stack: Frame[] = [];
  let pendingPointer = "";
  at.set("", skipWs(text, 0));
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') {
      const end = stringEnd(text, i);
      const top = stack[stack.length - 1];
      // A string followed by ':' inside an object is a key.
      if (top && !top.isArray && text[skipWs(text, end)] === ":") {
        const key = JSON.parse(text.slice(i, end)) as string;
        pendingPointer = `${top.pointer}/${escapeSegment(key)}`;
        if (top.keys.has(key)) duplicates.push({ pointer: pendingPointer, offset: i });
        top.keys.add(key);
        if (!at.has(pendingPointer)) at.set(pendingPointer, i);
      }
      i = end;
      continue;
    }
    if (c === "{" || c === "[") {
      const top = stack[stack.length - 1];
      const pointer = top?.isArray ? `${top.pointer}/${top.index}` : top ? pendingPointer : "";
      stack.push({ pointer, isArray: c === "[", index: 0, keys: new Set() });
      if (c === "[") markItem(text, i + 1, stack[stack.length - 1]!, at);
    } else if (c === "}" || c === "]") {
      stack.pop();
    } else if (c === ",") {
      const top = stack[stack.length - 1];
      if (top?.isArray) {
        top.index++;
        markItem(text, i + 1, top, at);
      }
    }
    i++;
  }
  return { at, duplicates };
}

function markItem(text: string, from: number, frame: Frame, at: Map<string, number>): void {
  const p = skipWs(text, from);
  if (text[p] !== "]") at.set(`${frame.pointer}/${frame.index}`, p);
}

function skipWs(text: string, i: number): number {
  while (i < text.length && " \t\r\n".includes(text[i]!)) i++;
  return i;
}

function stringEnd(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
  return i + 1;
}

/** The closest located ancestor of a pointer (ajv may point below what we located). */
export function offsetOfPointer(locations: JsonLocations, pointer: string): number {
  let p = pointer;
  for (;;) {
    const hit = locations.at.get(p);
    if (hit !== undefined) return hit;
    if (p === "") return 0;
    p = p.slice(0, p.lastIndexOf("/"));
  }
}

/** 1-based line and column (columns count UTF-16 units, like editors' JSON views). */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: end - lineStart + 1 };
}
