// The refusing endpoint (a run that may reach no host) against the proxies it stands in for: the
// same answers and the same recorded refusals, request by request, with real sockets on 127.0.0.1.
import { afterEach, describe, expect, it } from "vitest";
import type { NetRule } from "../../src/compiler/ir.js";
import type { ProxyNetworkPolicy } from "../../src/runtime/proxy/types.js";
import { createHttpProxy, createSocksProxy, type NetworkProxy, type ProxyDeps } from "../../src/runtime/proxy/index.js";
import { createRefusingHttpProxy, createRefusingSocksProxy } from "../../src/runtime/proxy/refuser.js";
import { deny, exchange, setup } from "./harness.js";

const proxies: NetworkProxy[] = [];
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.close()));
});

async function listen(make: (deps: ProxyDeps) => NetworkProxy, deps: ProxyDeps): Promise<number> {
  const proxy = make(deps);
  proxies.push(proxy);
  const a = await proxy.listen({ port: 0 });
  if (a.kind !== "tcp") throw new Error("expected tcp");
  return a.port;
}

const policies: Record<string, { rules: readonly NetRule[]; extra?: Partial<ProxyNetworkPolicy> }> = {
  "no rule": { rules: [] },
  "a deny rule": { rules: [deny("evil.srt.test")] },
  strictAllowlist: { rules: [], extra: { strictAllowlist: { value: true, origin: "/network/strictAllowlist" } } },
};

/** Both sides' answer to one request, and what each recorded (without the time). */
async function both(
  kind: "http" | "socks",
  policy: (typeof policies)[string],
  request: Buffer | string,
): Promise<{ full: string; refuser: string; fullViolations: unknown[]; refuserViolations: unknown[] }> {
  const run = async (make: (deps: ProxyDeps) => NetworkProxy) => {
    const s = setup(policy.rules);
    const deps = { ...s.deps, network: { ...(s.deps.network as ProxyNetworkPolicy), ...policy.extra } };
    const port = await listen(make, deps);
    const answer = await exchange(port, request, { end: true });
    return { answer, violations: s.violations.map(({ time: _time, ...v }) => v) };
  };
  const full = await run(kind === "http" ? createHttpProxy : createSocksProxy);
  const refuser = await run(kind === "http" ? createRefusingHttpProxy : createRefusingSocksProxy);
  const shown = (b: Buffer): string =>
    kind === "socks"
      ? b.toString("hex")
      : // Node's server adds Date and keep-alive headers to a plain request's answer; the rest must match.
        b
          .toString("latin1")
          .split("\r\n")
          .filter((l) => !/^(Date|Connection|Keep-Alive|Transfer-Encoding):/i.test(l))
          .join("\n");
  return {
    full: shown(full.answer),
    refuser: shown(refuser.answer),
    fullViolations: full.violations,
    refuserViolations: refuser.violations,
  };
}

const http = [
  "CONNECT other.test:443 HTTP/1.1\r\nHost: other.test:443\r\n\r\n",
  "CONNECT evil.srt.test:443 HTTP/1.1\r\n\r\n",
  "CONNECT [::1]:8443 HTTP/1.1\r\n\r\n",
  "CONNECT 10.1.2.3:22 HTTP/1.1\r\n\r\n",
  "CONNECT bad_host!:443 HTTP/1.1\r\n\r\n",
  "CONNECT other.test HTTP/1.1\r\n\r\n",
  "GET http://other.test/path?q=1 HTTP/1.1\r\nHost: other.test\r\n\r\n",
  "GET http://evil.srt.test:8080/ HTTP/1.0\r\n\r\n",
  "POST http://user@other.test/ HTTP/1.1\r\nHost: other.test\r\nContent-Length: 0\r\n\r\n",
  "GET /relative HTTP/1.1\r\nHost: other.test\r\n\r\n",
  "GET https://other.test/ HTTP/1.1\r\nHost: other.test\r\n\r\n",
  "GET http://other.test/ HTTP/1.1\r\nHost: other.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
];

const port = (p: number): number[] => [p >> 8, p & 0xff];
const name = (n: string): number[] => [n.length, ...Buffer.from(n, "latin1")];
const socks: Record<string, number[]> = {
  "a name": [5, 1, 0, 5, 1, 0, 3, ...name("other.test"), ...port(443)],
  "a denied name": [5, 1, 0, 5, 1, 0, 3, ...name("evil.srt.test"), ...port(80)],
  "an IPv4 address": [5, 1, 0, 5, 1, 0, 1, 10, 0, 0, 1, ...port(80)],
  "an IPv6 address": [5, 1, 0, 5, 1, 0, 4, ...new Array<number>(15).fill(0), 1, ...port(22)],
  "an invalid name": [5, 1, 0, 5, 1, 0, 3, ...name("bad host"), ...port(443)],
  "username and password": [5, 1, 2, 1, 1, 0x75, 1, 0x70, 5, 1, 0, 3, ...name("other.test"), ...port(443)],
  BIND: [5, 1, 0, 5, 2, 0, 3, ...name("other.test"), ...port(443)],
  "an unknown address type": [5, 1, 0, 5, 1, 0, 9, 1, 2],
  "no acceptable method": [5, 1, 0x80],
  "not SOCKS5": [4, 1, 0, 80, 127, 0, 0, 1, 0],
};

describe.each(Object.entries(policies))("with %s", (_name, policy) => {
  it.each(http)("HTTP %j: the proxy's answer and refusal", async (request) => {
    const r = await both("http", policy, request);
    expect(r.refuser).toBe(r.full);
    expect(r.refuserViolations).toEqual(r.fullViolations);
  });

  it.each(Object.entries(socks))("SOCKS5 with %s: the proxy's answer and refusal", async (_what, bytes) => {
    const r = await both("socks", policy, Buffer.from(bytes));
    expect(r.refuser).toBe(r.full);
    expect(r.refuserViolations).toEqual(r.fullViolations);
  });
});

it("answers a request head that never ends with 431, like the proxy", async () => {
  const s = setup([]);
  const port = await listen(createRefusingHttpProxy, s.deps);
  const answer = await exchange(port, `GET http://other.test/ HTTP/1.1\r\nX: ${"a".repeat(20_000)}\r\n`, { end: true });
  expect(answer.toString("latin1")).toMatch(/^HTTP\/1\.1 431 /);
  expect(s.violations).toEqual([]);
});

it("records every refusal of a run and never lets one through", async () => {
  const s = setup([]);
  const port = await listen(createRefusingHttpProxy, s.deps);
  const answers = await Promise.all(
    ["a.test", "b.test", "a.test"].map((h) => exchange(port, `CONNECT ${h}:443 HTTP/1.1\r\n\r\n`)),
  );
  for (const a of answers) expect(a.toString("latin1")).toMatch(/^HTTP\/1\.1 403 Forbidden by srt: /);
  expect(s.violations.map((v) => `${v.proxy} ${v.host}:${v.port} ${v.reason}`)).toEqual([
    "http a.test:443 a.test:443 is not in allowedDomains",
    "http b.test:443 b.test:443 is not in allowedDomains",
    "http a.test:443 a.test:443 is not in allowedDomains",
  ]);
});
