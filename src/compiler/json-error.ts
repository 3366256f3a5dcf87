/**
 * Where a JSON text first goes wrong, and why. V8's JSON.parse messages do not
 * always carry a position ("Unexpected token '}', ... is not valid JSON"), and
 * a diagnostic without a line is no help in a long file. Iterative, so it is
 * safe on any nesting.
 */

export interface JsonSyntaxError {
  readonly offset: number;
  readonly message: string;
}

type Expect = "value" | "key-or-end" | "key" | "colon" | "comma-or-end" | "value-or-end" | "done";

const number = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const literal = /true|false|null/y;

export function findJsonError(text: string): JsonSyntaxError | undefined {
  const stack: ("{" | "[")[] = [];
  let expect: Expect = "value";
  let i = 0;
  const afterValue = (): Expect => (stack.length === 0 ? "done" : "comma-or-end");
  while (true) {
    while (i < text.length && " \t\r\n".includes(text[i]!)) i++;
    if (i >= text.length) return expect === "done" ? undefined : { offset: i, message: "unexpected end of input" };
    const c = text[i]!;
    const top = stack[stack.length - 1];
    if (expect === "done") return { offset: i, message: `unexpected ${show(c)} after the end of the document` };
    if (expect === "colon") {
      if (c !== ":") return { offset: i, message: `expected ':' after a key, found ${show(c)}` };
      i++;
      expect = "value";
      continue;
    }
    if (expect === "comma-or-end") {
      if (c === ",") {
        i++;
        expect = top === "{" ? "key" : "value";
        continue;
      }
      if ((c === "}" && top === "{") || (c === "]" && top === "[")) {
        stack.pop();
        i++;
        expect = afterValue();
        continue;
      }
      return { offset: i, message: `expected ',' or '${top === "{" ? "}" : "]"}', found ${show(c)}` };
    }
    if (expect === "key-or-end" || expect === "key") {
      if (c === "}" && expect === "key-or-end") {
        stack.pop();
        i++;
        expect = afterValue();
        continue;
      }
      if (c !== '"')
        return {
          offset: i,
          message: c === "}" ? "trailing comma before '}'" : `expected a key in double quotes, found ${show(c)}`,
        };
      const end = stringEnd(text, i);
      if (typeof end !== "number") return end;
      i = end;
      expect = "colon";
      continue;
    }
    // expect is "value" or "value-or-end"
    if (c === "]" && expect === "value-or-end") {
      stack.pop();
      i++;
      expect = afterValue();
      continue;
    }
    if (c === "{" || c === "[") {
      stack.push(c);
      i++;
      expect = c === "{" ? "key-or-end" : "value-or-end";
      continue;
    }
    if (c === '"') {
      const end = stringEnd(text, i);
      if (typeof end !== "number") return end;
      i = end;
    } else {
      number.lastIndex = i;
      literal.lastIndex = i;
      const m = number.exec(text) ?? literal.exec(text);
      if (!m)
        return {
          offset: i,
          message:
            c === "]" || c === "}" ? `trailing comma before '${c}'` : `unexpected ${show(c)} where a value should be`,
        };
      i += m[0].length;
    }
    expect = afterValue();
  }
}

function stringEnd(text: string, start: number): number | JsonSyntaxError {
  let i = start + 1;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x22) return i + 1;
    if (c < 0x20)
      return {
        offset: i,
        message: c === 0 ? "raw NUL byte in a string (write \\u0000)" : "raw control character in a string (escape it)",
      };
    if (c === 0x5c) {
      const e = text[i + 1];
      if (e === "u" ? !/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6)) : !e || !'"\\/bfnrt'.includes(e))
        return { offset: i, message: "invalid escape in a string" };
      i += e === "u" ? 6 : 2;
      continue;
    }
    i++;
  }
  return { offset: start, message: "unterminated string" };
}

const show = (c: string): string =>
  c.charCodeAt(0) < 0x20 ? `control character U+${c.charCodeAt(0).toString(16).padStart(4, "0")}` : `'${c}'`;
