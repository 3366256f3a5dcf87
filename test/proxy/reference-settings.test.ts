/**
 * The proxies' one decision point (gate.ts) with the reference tool's settings:
 * an allowed `localhost` is the loopback, never looked up, while any other name
 * that resolves to loopback stays refused by the resolved-address guard;
 * strictAllowlist keeps an ask callback from widening the list; a
 * deniedDomainReasons text travels with the refusal.
 */
import { describe, expect, it } from "vitest";
import type { NetRule } from "../../src/compiler/ir.js";
import { createGate } from "../../src/runtime/proxy/gate.js";
import type { NetworkViolation, ProxyNetworkPolicy, Resolver } from "../../src/runtime/proxy/index.js";
import { allow, deniedAddress, deny, fakeResolver } from "./harness.js";

function gate(network: ProxyNetworkPolicy, resolve: Resolver, ask?: () => boolean) {
  const violations: NetworkViolation[] = [];
  const asked: string[] = [];
  const g = createGate(
    {
      network,
      onViolation: (v) => violations.push(v),
      ...(ask === undefined
        ? {}
        : {
            ask: (q) => {
              asked.push(`${q.host}:${q.port}`);
              return ask();
            },
          }),
    },
    resolve,
    1000,
  );
  return { g, violations, asked };
}

/** Every lookup is recorded, and each name maps to loopback (the classic rebinding answer). */
function recordingResolver(): { resolve: Resolver; looked: string[] } {
  const looked: string[] = [];
  return {
    looked,
    resolve: async (name) => {
      looked.push(name);
      return ["127.0.0.1"];
    },
  };
}

const policy = (rules: NetRule[], extra: Partial<ProxyNetworkPolicy> = {}): ProxyNetworkPolicy => ({
  rules,
  deniedResolvedAddresses: [],
  ...extra,
});

describe("an allowed localhost", () => {
  it("goes to 127.0.0.1 and ::1 without a lookup, on the listed port only", async () => {
    const r = recordingResolver();
    const { g } = gate(policy([allow("localhost:8080")]), r.resolve);
    const ok = await g.decide("localhost", 8080, "http");
    expect(ok).toEqual({
      ok: true,
      shown: "localhost:8080",
      route: { kind: "direct", addresses: ["127.0.0.1", "::1"], port: 8080 },
    });
    expect(r.looked).toEqual([]);
    const other = await g.decide("localhost", 8081, "socks");
    expect(other.ok).toBe(false);
  });

  it("does not open loopback to other names: a listed name resolving to 127.0.0.1 is still refused", async () => {
    const r = recordingResolver();
    const { g, violations } = gate(policy([allow("localhost"), allow("alias.test", 1)]), r.resolve);
    const d = await g.decide("alias.test", 80, "http");
    expect(d.ok).toBe(false);
    expect(d.ok === false && d.refused).toBe(true);
    expect(violations[0]?.reason).toMatch(/resolves to 127\.0\.0\.1 \(loopback\)/);
    expect(violations[0]?.rule).toBe("default:resolved-address-guard");
    expect(r.looked).toEqual(["alias.test"]);
  });

  it("only the name localhost itself: localhost.test is looked up and its loopback answer refused", async () => {
    const r = recordingResolver();
    const { g } = gate(policy([allow("localhost.test")]), r.resolve);
    const d = await g.decide("localhost.test", 80, "http");
    expect(d.ok).toBe(false);
    expect(r.looked).toEqual(["localhost.test"]);
  });

  it("an IP deny entry and deniedResolvedAddresses still win over it", async () => {
    const r = recordingResolver();
    const byIp = gate(policy([allow("localhost"), deny("127.0.0.1")]), r.resolve);
    const d1 = await byIp.g.decide("localhost", 80, "http");
    // ::1 is left; only 127.0.0.1 is denied.
    expect(d1.ok && d1.route).toEqual({ kind: "direct", addresses: ["::1"], port: 80 });
    const byRange = gate(
      policy([allow("localhost")], {
        deniedResolvedAddresses: [deniedAddress("127.0.0.0/8"), deniedAddress("::1", 1)],
      }),
      r.resolve,
    );
    const d2 = await byRange.g.decide("localhost", 80, "http");
    expect(d2.ok).toBe(false);
    expect(byRange.violations[0]?.rule).toBe("/network/deniedResolvedAddresses/0");
  });
});

describe("network.strictAllowlist", () => {
  const resolve = fakeResolver({ "asked.test": ["192.0.2.1"] });
  it("true: an unlisted host is refused without asking the callback", async () => {
    const strict = { value: true, origin: "/network/strictAllowlist" as const };
    const { g, asked, violations } = gate(policy([], { strictAllowlist: strict }), resolve, () => true);
    const d = await g.decide("asked.test", 443, "http");
    expect(d.ok).toBe(false);
    expect(asked).toEqual([]);
    expect(violations[0]?.rule).toBe("/network/strictAllowlist");
    expect(violations[0]?.reason).toMatch(/not in allowedDomains \(strictAllowlist: not asked\)/);
  });
  it("false (or absent): the callback is asked, as in the reference tool", async () => {
    const loose = { value: false, origin: "/network/strictAllowlist" as const };
    const { g, asked } = gate(policy([], { strictAllowlist: loose }), resolve, () => true);
    const d = await g.decide("asked.test", 443, "http");
    expect(d.ok).toBe(true);
    expect(asked).toEqual(["asked.test:443"]);
  });
});

describe("network.deniedDomainReasons", () => {
  it("the reason of the deciding deny entry is part of the refusal", async () => {
    const rule: NetRule = { ...deny("*:22"), reason: "SSH is blocked; use https" };
    const { g, violations } = gate(policy([rule, allow("github.com", 1)]), fakeResolver({}));
    const d = await g.decide("github.com", 22, "socks");
    expect(d.ok).toBe(false);
    expect(d.ok === false && d.reason).toBe(
      'github.com:22 is denied by "*:22" (/network/deniedDomains/0): SSH is blocked; use https',
    );
    expect(violations[0]?.reason).toContain("SSH is blocked; use https");
  });
});
