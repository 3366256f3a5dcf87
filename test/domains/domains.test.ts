import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  addressInCidr,
  canonicalizeHost,
  matchNetRules,
  parseCidr,
  parseHostPattern,
} from "../../src/compiler/domains/index.js";
import { punycodeEncode } from "../../src/compiler/domains/punycode.js";
import type { NetRule } from "../../src/compiler/ir.js";

describe("parseHostPattern accepts", () => {
  it.each([
    ["example.com", { kind: "name", name: "example.com" }, undefined],
    ["Example.COM.", { kind: "name", name: "example.com" }, undefined],
    ["*.example.com", { kind: "subdomains", name: "example.com" }, undefined],
    ["api.example.com:8443", { kind: "name", name: "api.example.com" }, 8443],
    ["localhost", { kind: "name", name: "localhost" }, undefined],
    ["1.2.3.4", { kind: "ipv4", address: "1.2.3.4" }, undefined],
    ["1.2.3.4:443", { kind: "ipv4", address: "1.2.3.4" }, 443],
    ["[::1]", { kind: "ipv6", address: "::1" }, undefined],
    ["[2001:DB8:0:0:0:0:0:1]:8080", { kind: "ipv6", address: "2001:db8::1" }, 8080],
    ["bücher.example", { kind: "name", name: "xn--bcher-kva.example" }, undefined],
    ["0xdeadbeef.com", { kind: "name", name: "0xdeadbeef.com" }, undefined],
    ["*.example.co.uk", { kind: "subdomains", name: "example.co.uk" }, undefined],
    ["ｅｘａｍｐｌｅ。com", { kind: "name", name: "example.com" }, undefined],
  ])("%s", (text, host, port) => {
    expect(parseHostPattern(text, "allow")).toEqual(port === undefined ? { ok: true, host } : { ok: true, host, port });
  });
  it("a bare * in the deny list", () => {
    expect(parseHostPattern("*", "deny")).toEqual({ ok: true, host: { kind: "any" } });
  });
});

describe("parseHostPattern refuses", () => {
  it.each([
    ["*.com", /every host under a top-level domain/],
    ["http://x", /has a scheme/],
    ["a.*.com", /wildcard that is not the whole leftmost label/],
    ["", /is empty/],
    ["*", /bare \* would allow every host/],
    ["example.com:99999", /port "99999"/],
    ["example.com:0", /port "0"/],
    ["exa mple.com", /whitespace/],
    [" example.com", /whitespace/],
    ["example.com/path", /has a path/],
    ["::1", /without brackets/],
    ["[::1", /unclosed/],
    ["[fe80::zz]", /not an IPv6 address/],
    ["256.1.1.1", /not a valid IPv4 address/],
    ["1.2.3", /shorthand/],
    ["127.1", /shorthand/],
    ["0x7f.0.0.1:80", /shorthand/],
    ["*.co.uk", /every domain registered under co.uk/],
    ["*.com.au", /every domain registered under com.au/],
    ["[1.2.3.4]", /not an IPv6 address/],
    ["a..b", /empty label/],
    ["-a.com", /invalid label/],
    [`${"a".repeat(64)}.com`, /longer than 63/],
    ["a_b!.com", /invalid label/],
    [`${"a.".repeat(130)}com`, /longer than 253/],
    ["user@example.com", /user information/],
    ["*.1.2.3.4", /wildcard cannot cover IP/],
  ])("%j", (text, message) => {
    const r = parseHostPattern(text, "allow");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(message);
  });
});

describe("canonicalizeHost", () => {
  it.each([
    ["EXAMPLE.com.", { kind: "name", name: "example.com" }],
    ["127.1", { kind: "ipv4", address: "127.0.0.1" }],
    ["0x7f.1", { kind: "ipv4", address: "127.0.0.1" }],
    ["2130706433", { kind: "ipv4", address: "127.0.0.1" }],
    ["0177.0.0.1", { kind: "ipv4", address: "127.0.0.1" }],
    ["[::ffff:127.0.0.1]", { kind: "ipv4", address: "127.0.0.1" }],
    ["::FFFF:7f00:1", { kind: "ipv4", address: "127.0.0.1" }],
    ["[0:0:0:0:0:0:0:1]", { kind: "ipv6", address: "::1" }],
    ["2001:db8:0:0:1:0:0:1", { kind: "ipv6", address: "2001:db8::1:0:0:1" }],
    ["fe80::1%eth0", { kind: "ipv6", address: "fe80::1" }],
    ["Bücher.example", { kind: "name", name: "xn--bcher-kva.example" }],
    ["ｅｖｉｌ.example", { kind: "name", name: "evil.example" }], // full-width folds (NFKC)
    ["evil。example", { kind: "name", name: "evil.example" }], // ideographic full stop is a dot
    ["１２７.０.０.１", { kind: "ipv4", address: "127.0.0.1" }],
    ["127.0.0.1.", { kind: "ipv4", address: "127.0.0.1" }],
    ["0x7f000001", { kind: "ipv4", address: "127.0.0.1" }],
    ["[::127.0.0.1]", { kind: "ipv6", address: "::7f00:1" }],
    ["1:0:0:1:0:0:0:1", { kind: "ipv6", address: "1:0:0:1::1" }], // longest run wins
    ["1:0:0:1:0:0:1:1", { kind: "ipv6", address: "1::1:0:0:1:1" }], // first run on ties
    ["1:2:3:4:5:6:0:8", { kind: "ipv6", address: "1:2:3:4:5:6:0:8" }], // a single 0 group is not compressed
  ])("%s", (raw, expected) => {
    expect(canonicalizeHost(raw)).toEqual(expected);
  });
  it.each([
    "",
    "a b",
    "1.2.3.4.5",
    "256.0.0.1",
    "x.123",
    "[::1::2]",
    "[1.2.3.4]",
    "[example.com]",
    "example.com:443",
    "08.1",
    `${"a".repeat(64)}.com`,
    `${"a.".repeat(127)}ab`,
    "a/b",
    "evil.com：443",
  ])("refuses %j", (raw) => {
    expect(canonicalizeHost(raw)).toBeNull();
  });
  it("is idempotent", () => {
    const host = fc.oneof(fc.domain(), fc.ipV4(), fc.ipV4Extended(), fc.ipV6());
    fc.assert(
      fc.property(host, (h) => {
        const once = canonicalizeHost(h);
        if (once === null) return;
        const text = once.kind === "name" ? once.name : once.address;
        expect(canonicalizeHost(once.kind === "ipv6" ? `[${text}]` : text)).toEqual(once);
      }),
      { numRuns: 1000 },
    );
  });
});

describe("punycode", () => {
  it.each([
    ["bücher", "bcher-kva"],
    ["münchen", "mnchen-3ya"],
    ["ü", "tda"],
    ["日本語", "wgv71a119e"],
  ])("%s → %s", (label, encoded) => expect(punycodeEncode(label)).toBe(encoded));
});

const rule = (effect: "allow" | "deny", source: string, i: number): NetRule => {
  const p = parseHostPattern(source, effect);
  if (!p.ok) throw new Error(p.message);
  return {
    kind: "net",
    effect,
    host: p.host,
    ...(p.port === undefined ? {} : { port: p.port }),
    source,
    origin: `/${effect}/${i}`,
  };
};

describe("matchNetRules", () => {
  const rules = [
    rule("deny", "evil.example.com", 0),
    rule("allow", "*.example.com", 0),
    rule("allow", "example.org", 1),
    rule("allow", "api.example.net:443", 2),
    rule("allow", "127.0.0.1:8080", 3),
  ];
  it.each([
    ["a.example.com", 80, "allow"],
    ["A.B.Example.Com.", 443, "allow"],
    ["example.com", 443, "deny"], // subdomains only
    ["evil.example.com", 443, "deny"], // deny wins
    ["example.org", 1, "allow"],
    ["sub.example.org", 443, "deny"],
    ["api.example.net", 443, "allow"],
    ["api.example.net", 80, "deny"],
    ["127.1", 8080, "allow"],
    ["localhost", 8080, "deny"], // IP entries match IP literals only
    ["2130706433", 8081, "deny"],
    ["not a host", 80, "deny"],
  ])("%s:%d → %s", (host, port, verdict) => {
    expect(matchNetRules(rules, host, port).verdict).toBe(verdict);
  });
  it("names the deciding rule and its origin", () => {
    expect(matchNetRules(rules, "evil.example.com", 443)).toMatchObject({
      verdict: "deny",
      rule: { origin: "/deny/0" },
      reason: expect.stringContaining("evil.example.com"),
    });
  });
  it("is independent of rule order", () => {
    fc.assert(
      fc.property(
        fc.shuffledSubarray(rules),
        fc.constantFrom("a.example.com", "evil.example.com", "example.org", "api.example.net"),
        fc.constantFrom(80, 443),
        (rs, host, port) => {
          expect(matchNetRules(rs, host, port).verdict).toBe(matchNetRules([...rs].reverse(), host, port).verdict);
        },
      ),
    );
  });
  it("a deny-all refuses everything even when allowed", () => {
    expect(matchNetRules([rule("allow", "example.com", 0), rule("deny", "*", 0)], "example.com", 443).verdict).toBe(
      "deny",
    );
  });
});

describe("CIDR", () => {
  it.each([
    ["10.1.2.3/8", "10.0.0.0/8", 4],
    ["192.168.1.77", "192.168.1.77/32", 4],
    ["fd00::1/8", "fd00::/8", 6],
    ["::1", "::1/128", 6],
  ])("%s → %s", (text, cidr, family) => expect(parseCidr(text)).toEqual({ ok: true, cidr, family }));
  it.each(["10.0.0.0/33", "nope", "::1/129", "1.2.3.4/x", "1.2.3.4/8/9"])("refuses %s", (t) =>
    expect(parseCidr(t).ok).toBe(false),
  );
  it.each([
    ["10.9.9.9", "10.0.0.0/8", true],
    ["11.0.0.1", "10.0.0.0/8", false],
    ["::ffff:169.254.169.254", "169.254.0.0/16", true],
    ["fd00:ec2::254", "fd00:ec2::254/128", true],
    ["10.0.0.1", "fd00::/8", false],
  ])("%s in %s → %s", (a, c, r) => expect(addressInCidr(a, c)).toBe(r));
});
