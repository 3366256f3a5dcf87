/**
 * A reader for the SBPL that srt writes: s-expressions, `;` comments,
 * strings with the escapes escape.ts emits (`\\ \" \n \t \r \xHH`, nothing
 * else) and `#"…"` regex literals. Strict on purpose: it reads our own output
 * back, so anything our escaper would never produce is a problem.
 */

export type SExpr =
  | { readonly kind: "list"; readonly items: readonly SExpr[]; readonly offset: number }
  | { readonly kind: "symbol"; readonly name: string; readonly offset: number }
  | { readonly kind: "string"; readonly value: string; readonly offset: number }
  | { readonly kind: "regex"; readonly source: string; readonly offset: number }
  | { readonly kind: "number"; readonly value: number; readonly offset: number }
  | { readonly kind: "bool"; readonly value: boolean; readonly offset: number };

export type SbplProblemCode =
  | "unbalanced"
  | "unterminated-string"
  | "bad-escape"
  | "raw-control"
  | "bad-token"
  | "not-a-form"
  | "unknown-form"
  | "bad-version"
  | "unknown-operation"
  | "unknown-filter"
  | "unknown-modifier"
  | "empty-rule"
  | "missing-message"
  | "bad-argument"
  | "bad-regex"
  | "too-long";

export interface SbplProblem {
  readonly code: SbplProblemCode;
  readonly message: string;
  /** UTF-16 offset into the text; line and column are 1-based. */
  readonly offset: number;
  readonly line: number;
  readonly column: number;
}

export function problemAt(text: string, offset: number, code: SbplProblemCode, message: string): SbplProblem {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return { code, message, offset, line, column: offset - before.lastIndexOf("\n") };
}

/** Raw characters the escaper always escapes: finding one means text bypassed it. */
const rawControl = /[\u0000-\u001f\u007f]/;
const delimiter = /[\s()";]/;

export function parseSbpl(text: string): { forms: SExpr[]; problems: SbplProblem[] } {
  const problems: SbplProblem[] = [];
  const report = (offset: number, code: SbplProblemCode, message: string): void =>
    void problems.push(problemAt(text, offset, code, message));
  const stack: { items: SExpr[]; offset: number }[] = [{ items: [], offset: 0 }];
  let i = 0;
  const push = (e: SExpr): void => void stack[stack.length - 1]!.items.push(e);

  const readString = (start: number): string | undefined => {
    let out = "";
    for (let j = start; j < text.length; j++) {
      const c = text[j]!;
      if (c === '"') {
        i = j + 1;
        return out;
      }
      if (c === "\\") {
        const e = text[j + 1];
        const simple: Record<string, string> = { "\\": "\\", '"': '"', n: "\n", t: "\t", r: "\r" };
        if (e !== undefined && simple[e] !== undefined) {
          out += simple[e];
          j++;
        } else if (e === "x" && /^[0-9a-fA-F]{2}$/.test(text.slice(j + 2, j + 4))) {
          // The reader's strings are bytes: \x80-\xff is one raw byte, which srt's strings spell U+DC80+ (byte-paths.ts).
          const b = parseInt(text.slice(j + 2, j + 4), 16);
          out += String.fromCharCode(b < 0x80 ? b : 0xdc00 + b);
          j += 3;
        } else {
          report(j, "bad-escape", `unknown string escape \\${e ?? ""}`);
          j++;
        }
        continue;
      }
      if (rawControl.test(c))
        report(
          j,
          "raw-control",
          `raw control character U+${c.charCodeAt(0).toString(16).padStart(4, "0")} in a string`,
        );
      out += c;
    }
    report(start - 1, "unterminated-string", "string does not end");
    i = text.length;
    return undefined;
  };

  while (i < text.length) {
    const c = text[i]!;
    if (c === ";") {
      const nl = text.indexOf("\n", i);
      i = nl < 0 ? text.length : nl + 1;
    } else if (/\s/.test(c)) {
      i++;
    } else if (c === "(") {
      stack.push({ items: [], offset: i });
      i++;
    } else if (c === ")") {
      if (stack.length === 1) report(i, "unbalanced", "`)` without a matching `(`");
      else {
        const done = stack.pop()!;
        push({ kind: "list", items: done.items, offset: done.offset });
      }
      i++;
    } else if (c === '"') {
      const start = i;
      const value = readString(i + 1);
      if (value !== undefined) push({ kind: "string", value, offset: start });
    } else if (c === "#" && text[i + 1] === '"') {
      const start = i;
      const end = text.indexOf('"', i + 2);
      if (end < 0) {
        report(start, "unterminated-string", "regex literal does not end");
        i = text.length;
        continue;
      }
      const source = text.slice(i + 2, end);
      // `#"…"` has no escapes, so these would mean different things to different readers (see escape.ts).
      if (/\\\\/.test(source) || source.endsWith("\\"))
        report(
          start,
          "bad-escape",
          'a backslash pair or a trailing backslash is ambiguous in #"…"; use an ordinary string',
        );
      if (rawControl.test(source)) report(start, "raw-control", "raw control character in a regex literal");
      push({ kind: "regex", source, offset: start });
      i = end + 1;
    } else {
      let j = i;
      while (j < text.length && !delimiter.test(text[j]!)) j++;
      const word = text.slice(i, j);
      if (word === "#t" || word === "#f") push({ kind: "bool", value: word === "#t", offset: i });
      else if (/^-?[0-9]+$/.test(word)) push({ kind: "number", value: Number(word), offset: i });
      else if (/^[A-Za-z*+!\-_?<>=/.:][A-Za-z0-9*+!\-_?<>=/.:@]*$/.test(word))
        push({ kind: "symbol", name: word, offset: i });
      else report(i, "bad-token", `cannot read ${JSON.stringify(word)}`);
      i = j;
    }
  }
  for (const open of stack.slice(1)) report(open.offset, "unbalanced", "`(` is never closed");
  return { forms: stack[0]!.items, problems };
}
