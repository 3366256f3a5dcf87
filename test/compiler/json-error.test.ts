import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { findJsonError } from "../../src/compiler/json-error.js";

const accepts = (text: string): boolean => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

describe("findJsonError", () => {
  it("agrees with JSON.parse on valid documents", () => {
    fc.assert(
      fc.property(fc.json(), (text) => findJsonError(text) === undefined),
      { numRuns: 500 },
    );
  });

  it("agrees with JSON.parse on mutated documents", () => {
    const mutated = fc
      .tuple(fc.json(), fc.nat(), fc.constantFrom("", ",", "}", "]", '"', ":", "\\", "x", "\u0001", " "))
      .map(([t, at, ins]) => {
        const i = at % (t.length + 1);
        return t.slice(0, i) + ins + t.slice(i + (ins === "" ? 1 : 0));
      });
    fc.assert(
      fc.property(mutated, (text) => (findJsonError(text) === undefined) === accepts(text)),
      { numRuns: 2000 },
    );
  });

  it.each([
    ['{"a": [1,]}', 9, "trailing comma before ']'"],
    ['{"a": 1,}', 8, "trailing comma before '}'"],
    ['{"a" 1}', 5, "expected ':' after a key, found '1'"],
    ['{"a": tru}', 6, "unexpected 't' where a value should be"],
    ['{"a": "x\u0000"}', 8, "raw NUL byte in a string (write \\u0000)"],
    ["{} {}", 3, "unexpected '{' after the end of the document"],
    ['{"a": 1', 7, "unexpected end of input"],
  ])("%j → offset %d: %s", (text, offset, message) => {
    expect(findJsonError(text)).toEqual({ offset, message });
  });
});
