/**
 * The one place a proxy asks "may this client reach host:port, and how?".
 * Order matters: the rules decide on the canonical host *before* anything is
 * resolved (a denied name is never even looked up), then every resolved
 * address passes the resolved-address guard, and the route carries exactly
 * the addresses that passed — the dialler never resolves again, so a DNS
 * answer that changes between check and connect (rebinding) cannot win.
 */
import {
  canonicalizeHost,
  compileAddressGuard,
  hostPort,
  localhostAddresses,
  matchNetRules,
  namesLocalhost,
  type AddressGuard,
  type CanonicalHost,
} from "../../compiler/domains/index.js";
import type { Origin, UpstreamProxy } from "../../compiler/ir.js";
import { askAbout } from "./ask.js";
import { printable } from "./printable.js";
import { upstreamFor, type UpstreamUse } from "./upstream.js";
import {
  defaultLimits,
  type NetworkViolation,
  type ProxyDeps,
  type ProxyNetworkPolicy,
  type Resolver,
} from "./types.js";

export type Route =
  | { readonly kind: "direct"; readonly addresses: readonly string[]; readonly port: number }
  /** Through the user's MITM proxy on a unix socket; `authority` is host:port for its CONNECT / absolute URL. */
  | { readonly kind: "mitm"; readonly socketPath: string; readonly authority: string }
  /** Through the upstream proxy (parentProxy), which resolves the name itself. */
  | {
      readonly kind: "upstream";
      readonly proxy: UpstreamProxy;
      readonly host: CanonicalHost;
      readonly port: number;
      readonly authority: string;
    };

export type Decision =
  | { readonly ok: true; readonly shown: string; readonly route: Route }
  /** A policy refusal: 403 / SOCKS 0x02, recorded as a violation. */
  | {
      readonly ok: false;
      readonly refused: true;
      readonly shown: string;
      readonly reason: string;
      readonly rule?: Origin;
    }
  /** Not a policy matter (name does not resolve, resolver timed out): 502 / SOCKS 0x04. */
  | { readonly ok: false; readonly refused: false; readonly shown: string; readonly reason: string };

export interface Gate {
  /** `use`: a tunnel (CONNECT, SOCKS) or a plain-HTTP request, which may take different upstream proxies. */
  decide(rawHost: string, port: number, proxy: NetworkViolation["proxy"], use?: UpstreamUse): Promise<Decision>;
}

export function createGate(
  deps: ProxyDeps,
  resolve: Resolver,
  resolveTimeoutMs: number,
  askTimeoutMs: number = defaultLimits.askTimeoutMs,
): Gate {
  const source = deps.network;
  const current = typeof source === "function" ? source : () => source;
  // One guard per policy object: a live update swaps the object, and the guard follows it.
  const guards = new WeakMap<ProxyNetworkPolicy, AddressGuard>();
  const guardOf = (network: ProxyNetworkPolicy): AddressGuard => {
    let g = guards.get(network);
    if (g === undefined) guards.set(network, (g = compileAddressGuard(network)));
    return g;
  };
  const refuse = (
    proxy: NetworkViolation["proxy"],
    host: string,
    port: number,
    reason: string,
    rule: Origin | undefined,
  ): Decision => {
    recorder(deps, proxy)(host, port, reason, rule);
    return { ok: false, refused: true, shown: `${host}:${port}`, reason, ...(rule === undefined ? {} : { rule }) };
  };

  const viaMitm = (network: ProxyNetworkPolicy, host: CanonicalHost, port: number): Route | undefined => {
    const mitm = network.mitmProxy;
    if (!mitm || matchNetRules(mitm.domains, host, port).verdict !== "allow") return undefined;
    return { kind: "mitm", socketPath: mitm.socketPath, authority: hostPort(host, port) };
  };

  /**
   * Allowed decisions that the policy alone made — no name looked up, no ask callback — for the
   * one policy object they were made with: the same question under the same policy gets the same
   * answer, so a client's every request to an address or loopback skips the parsing and matching.
   * Each request still asks, against the policy in force at that moment: a live update swaps the
   * object, and the first decision under it empties the cache. Refusals are not kept (each one is
   * recorded), nor anything a DNS answer or the ask callback decided (those may change).
   */
  let memoFor: ProxyNetworkPolicy | undefined;
  const memo = new Map<string, Decision>();
  const memoLimit = 1024;

  return {
    async decide(rawHost, port, proxy, use = "tunnel") {
      // One snapshot per decision: rules, guard and MITM route all come from the same policy.
      const network = current();
      if (network !== memoFor) {
        memo.clear();
        memoFor = network;
      }
      // rawHost last: the fields before it hold no NUL, so no two questions share a key.
      const key = `${proxy}\0${use}\0${port}\0${rawHost}`;
      const known = memo.get(key);
      if (known !== undefined) return known;
      const looked = { up: false };
      const decision = await decideWith(network, rawHost, port, proxy, use, looked);
      // Kept only for the policy it was made with, should one have replaced it meanwhile.
      if (decision.ok && !looked.up && memoFor === network) {
        if (memo.size >= memoLimit) memo.clear();
        memo.set(key, decision);
      }
      return decision;
    },
  };

  /** `looked.up` is set once anything outside the policy (the resolver, the ask callback) took part. */
  async function decideWith(
    network: ProxyNetworkPolicy,
    rawHost: string,
    port: number,
    proxy: NetworkViolation["proxy"],
    use: UpstreamUse,
    looked: { up: boolean },
  ): Promise<Decision> {
    const guard = guardOf(network);
    const host = canonicalizeHost(rawHost);
    const shownHost = host === null ? printable(rawHost) : host.kind === "name" ? host.name : host.address;
    if (host === null)
      return refuse(proxy, shownHost, port, `"${shownHost}" is not a valid host name or address`, undefined);
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      return refuse(proxy, shownHost, port, `port ${port} is not 1–65535`, undefined);
    const verdict = matchNetRules(network.rules, host, port);
    const shown = hostPort(host, port);
    if (verdict.verdict === "deny") {
      // Matched by nothing (no rule): the embedder's ask callback may still allow it. An explicit deny is final.
      if (verdict.rule !== undefined) return refuse(proxy, shownHost, port, verdict.reason, verdict.rule.origin);
      // network.strictAllowlist: the allow list is the policy, not a hint; no callback may widen it.
      if (network.strictAllowlist?.value === true)
        return refuse(
          proxy,
          shownHost,
          port,
          `${verdict.reason} (strictAllowlist: not asked)`,
          network.strictAllowlist.origin,
        );
      looked.up = true;
      const asked = await askAbout(deps.ask, { host: shownHost, port }, shown, askTimeoutMs);
      if (!asked.allow) return refuse(proxy, shownHost, port, asked.reason, undefined);
      // An approved IP literal is approved like an allow rule for that literal, which the guard honours too.
      if (host.kind !== "name" && upstreamFor(network.parentProxy, host, use) === undefined)
        return { ok: true, shown, route: { kind: "direct", addresses: [host.address], port } };
    }
    // The MITM proxy resolves on its own, so the address guard cannot apply; the user chose to trust it.
    const mitm = viaMitm(network, host, port);
    if (mitm) return { ok: true, shown, route: mitm };
    // Likewise the upstream proxy: it resolves the name, so the guard below governs direct dials only.
    const upstream = upstreamFor(network.parentProxy, host, use);
    if (upstream)
      return { ok: true, shown, route: { kind: "upstream", proxy: upstream, host, port, authority: shown } };

    // An allowed `localhost` is the host's loopback (as in the reference tool, and srt's README): not looked up.
    const loopback = verdict.verdict === "allow" && namesLocalhost(verdict.rule);
    let resolved: readonly string[];
    if (loopback) resolved = localhostAddresses;
    else if (host.kind === "name") {
      looked.up = true;
      const r = await withTimeout(resolve(host.name), resolveTimeoutMs);
      if (!r.ok) return { ok: false, refused: false, shown, reason: `cannot resolve ${host.name}: ${r.reason}` };
      resolved = r.value;
    } else {
      resolved = [host.address];
    }
    const passed: string[] = [];
    let firstRefusal: { reason: string; origin?: Origin } | undefined;
    for (const a of resolved) {
      const v = guard(a, port, loopback);
      if (v.verdict === "allow") {
        if (!passed.includes(v.address)) passed.push(v.address);
      } else firstRefusal ??= v;
    }
    if (passed.length > 0) return { ok: true, shown, route: { kind: "direct", addresses: passed, port } };
    if (firstRefusal) return refuse(proxy, shownHost, port, `${shown} ${firstRefusal.reason}`, firstRefusal.origin);
    return {
      ok: false,
      refused: false,
      shown,
      reason: `${host.kind === "name" ? host.name : shown} has no addresses`,
    };
  }
}

/**
 * Records a refusal as a violation event: the gate's own, and those made
 * outside it (a terminated tunnel's request filters, SOCKS's opaque-tunnel
 * check), whose answer is the caller's. The one place the event is built.
 */
export function recorder(
  deps: Pick<ProxyDeps, "now" | "onViolation">,
  proxy: NetworkViolation["proxy"],
): (host: string, port: number, reason: string, rule?: Origin) => void {
  const now = deps.now ?? (() => new Date());
  return (host, port, reason, rule) => {
    const event: NetworkViolation = {
      kind: "network",
      time: now().toISOString(),
      proxy,
      host,
      port,
      reason,
      ...(rule === undefined ? {} : { rule }),
    };
    try {
      deps.onViolation(event);
    } catch {
      // A failing sink must not turn a refusal into a crash or, worse, an allow.
    }
  };
}

// Lives apart so that the refusing endpoint (refuser.ts) can use it without this module's imports.
export { printable } from "./printable.js";

async function withTimeout<T>(
  p: Promise<T>,
  ms: number,
): Promise<{ ok: true; value: T } | { ok: false; reason: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<{ ok: false; reason: string }>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, reason: `no answer within ${ms} ms` }), ms);
  });
  try {
    return await Promise.race([p.then((value) => ({ ok: true as const, value })), timeout]);
  } catch (e) {
    return { ok: false, reason: (e as NodeJS.ErrnoException).code ?? String(e) };
  } finally {
    clearTimeout(timer);
  }
}
