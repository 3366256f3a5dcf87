/** One loopback test for the proxy's direct dials and the Kubernetes lowering. */
import { describe, expect, it } from "vitest";
import { canonicalizeHost, isLoopbackHost, parseHostPattern } from "../../src/compiler/domains/index.js";

const pattern = (text: string) => {
  const r = parseHostPattern(text, "allow");
  if (!r.ok) throw new Error(`${text}: ${r.message}`);
  return r.host;
};

describe("isLoopbackHost", () => {
  it.each(["localhost", "api.localhost", "127.0.0.1", "127.5.6.7", "[::1]", "[::ffff:127.0.0.1]", "[::ffff:7f00:2]"])(
    "the settings entry %s is loopback",
    (text) => expect(isLoopbackHost(pattern(text))).toBe(true),
  );
  it.each([
    "example.com",
    "localhost.example.com",
    "*.example.com",
    "128.0.0.1",
    "[::2]",
    "[::ffff:10.0.0.1]",
    "[1::1]",
  ])("the settings entry %s is not", (text) => expect(isLoopbackHost(pattern(text))).toBe(false));
  it("*.localhost (refused in settings, but a pattern of that shape) is loopback", () =>
    expect(isLoopbackHost({ kind: "subdomains", name: "localhost" })).toBe(true));
  it("a run-time host spelled as a mapped or shorthand address is loopback once canonical", () => {
    for (const raw of ["[::ffff:127.0.0.1]", "127.1", "2130706433", "LOCALHOST.", "[::1]"])
      expect(isLoopbackHost(canonicalizeHost(raw)!), raw).toBe(true);
  });
});
