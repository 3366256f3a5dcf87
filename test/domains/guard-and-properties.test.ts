// The resolved-address guard, plus properties cross-checked against Node's own
// parsers (allowed here: tests are not part of the pure compiler).
import fc from "fast-check";
import punycode from "node:punycode";
import { describe, expect, it } from "vitest";
import {
  canonicalizeHost,
  compileAddressGuard,
  matchNetRules,
  parseCidr,
  parseHostPattern,
} from "../../src/compiler/domains/index.js";
import { punycodeEncode } from "../../src/compiler/domains/punycode.js";
import type { AddressRule, NetRule } from "../../src/compiler/ir.js";

const rule = (effect: "allow" | "deny", source: string, i = 0): NetRule => {
  const p = parseHostPattern(source, effect);
  if (!p.ok) throw new Error(`${source}: ${p.message}`);
  return {
    kind: "net",
    effect,
    host: p.host,
    ...(p.port === undefined ? {} : { port: p.port }),
    source,
    origin: `/${effect}/${i}`,
  };
};
const cidr = (text: string, i = 0): AddressRule => {
  const r = parseCidr(text);
  if (!r.ok) throw new Error(r.message);
  return { kind: "address", cidr: r.cidr, family: r.family, origin: `/deniedResolvedAddresses/${i}` };
};

describe("resolved-address guard", () => {
  const guard = compileAddressGuard({
    rules: [
      rule("allow", "allowed.test"),
      rule("allow", "127.0.0.2:8080", 1),
      rule("deny", "203.0.113.9", 2),
      rule("allow", "[::1]:9000", 3),
    ],
    deniedResolvedAddresses: [cidr("10.0.0.0/8"), cidr("::ffff:192.168.0.0/112", 1)],
  });
  it.each([
    ["93.184.216.34", 443, "allow", undefined],
    ["127.0.0.1", 443, "deny", "default:resolved-address-guard"],
    ["127.0.0.2", 8080, "allow", undefined], // explicitly allowed address and port
    ["127.0.0.2", 8081, "deny", "default:resolved-address-guard"], // …but only that port
    ["::ffff:127.0.0.1", 443, "deny", "default:resolved-address-guard"], // mapped form
    ["169.254.169.254", 80, "deny", "default:resolved-address-guard"],
    ["fd00:ec2::254", 80, "deny", "default:resolved-address-guard"],
    ["::", 80, "deny", "default:resolved-address-guard"],
    ["0.0.0.0", 80, "deny", "default:resolved-address-guard"],
    ["fe80::1", 80, "deny", "default:resolved-address-guard"],
    ["224.0.0.251", 5353, "deny", "default:resolved-address-guard"],
    ["64:ff9b::a9fe:a9fe", 80, "deny", "default:resolved-address-guard"], // NAT64 of 169.254.169.254
    ["::1", 9000, "allow", undefined],
    ["::1", 9001, "deny", "default:resolved-address-guard"],
    ["10.1.2.3", 80, "deny", "/deniedResolvedAddresses/0"],
    ["192.168.7.7", 80, "deny", "/deniedResolvedAddresses/1"], // a mapped-IPv6 CIDR covers plain IPv4
    ["203.0.113.9", 443, "deny", "/deny/2"], // IP deny entries also bind resolved addresses
    ["2001:db8::1", 443, "allow", undefined],
    ["not-an-address", 443, "deny", undefined],
  ])("%s:%d → %s", (address, port, verdict, origin) => {
    const v = guard(address, port);
    expect(v.verdict).toBe(verdict);
    if (v.verdict === "deny") expect(v.origin).toBe(origin);
  });
  it("says how to allow a refused address", () => {
    const v = guard("127.0.0.1", 80);
    expect(v.verdict === "deny" && v.reason).toMatch(/loopback.*allow that address explicitly/);
  });
});

describe("properties", () => {
  it("punycode agrees with node:punycode", () => {
    const label = fc.string({
      unit: fc.oneof(
        fc.constantFrom(..."abcxyz019-"),
        fc.integer({ min: 0xa0, max: 0x2fff }).map((c) => String.fromCodePoint(c)),
      ),
      minLength: 1,
      maxLength: 20,
    });
    fc.assert(
      fc.property(label, (l) => {
        expect(punycodeEncode(l)).toBe(punycode.encode(l));
      }),
      { numRuns: 2000 },
    );
  });

  it("IPv4 shorthand agrees with the WHATWG URL parser", () => {
    fc.assert(
      fc.property(fc.ipV4Extended(), (h) => {
        expect(canonicalizeHost(h)).toEqual({ kind: "ipv4", address: new URL(`http://${h}/`).hostname });
      }),
      { numRuns: 2000 },
    );
  });

  it("IPv6 text agrees with the WHATWG URL serializer (RFC 5952)", () => {
    fc.assert(
      fc.property(fc.ipV6(), (h) => {
        const c = canonicalizeHost(`[${h}]`);
        const whatwg = new URL(`http://[${h}]/`).hostname.slice(1, -1);
        if (c?.kind === "ipv6") expect(c.address).toBe(whatwg);
        else expect(whatwg).toMatch(/^::ffff:/); // mapped: we treat it as IPv4
      }),
      { numRuns: 2000 },
    );
  });

  it("canonicalizeHost never throws and is idempotent on any string", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 30 }), (s) => {
        const once = canonicalizeHost(s);
        if (once === null) return;
        const text = once.kind === "name" ? once.name : once.kind === "ipv6" ? `[${once.address}]` : once.address;
        expect(canonicalizeHost(text)).toEqual(once);
      }),
      { numRuns: 3000 },
    );
  });

  it("a pattern's canonical host canonicalizes to itself", () => {
    fc.assert(
      fc.property(fc.domain(), (d) => {
        const p = parseHostPattern(d, "allow");
        if (p.ok && p.host.kind === "name")
          expect(canonicalizeHost(p.host.name)).toEqual({ kind: "name", name: p.host.name });
      }),
    );
  });

  it("the whole answer (verdict, rule, reason) is independent of rule order", () => {
    const pool = [
      rule("allow", "example.com"),
      rule("allow", "example.com:443", 1),
      rule("allow", "*.example.com", 2),
      rule("allow", "*.a.example.com", 3),
      rule("deny", "b.a.example.com", 4),
      rule("deny", "*.a.example.com:8443", 5),
      rule("deny", "*", 6),
      rule("allow", "127.0.0.1", 7),
    ];
    const hosts = fc.constantFrom(
      "example.com",
      "a.example.com",
      "b.a.example.com",
      "c.a.example.com",
      "127.1",
      "x.test",
    );
    fc.assert(
      fc.property(
        fc.subarray(pool),
        fc.func(fc.integer()),
        hosts,
        fc.constantFrom(80, 443, 8443),
        (rs, key, host, port) => {
          const shuffled = [...rs].sort((a, b) => key(a.origin) - key(b.origin));
          expect(matchNetRules(shuffled, host, port)).toEqual(matchNetRules(rs, host, port));
        },
      ),
    );
  });

  it("adding a deny never turns a deny into an allow", () => {
    const pool = ["example.com", "*.example.com", "a.example.com:443", "127.0.0.1", "*"];
    fc.assert(
      fc.property(
        fc.subarray(pool.filter((p) => p !== "*")),
        fc.constantFrom(...pool),
        fc.constantFrom("example.com", "a.example.com", "127.0.0.1"),
        (allows, deny, host) => {
          const base = allows.map((a, i) => rule("allow", a, i));
          if (matchNetRules(base, host, 443).verdict === "deny")
            expect(matchNetRules([...base, rule("deny", deny, 9)], host, 443).verdict).toBe("deny");
        },
      ),
    );
  });
});
