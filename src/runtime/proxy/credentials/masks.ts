/**
 * The run's masked secrets: sentinel → real value, with the hosts each may
 * go to. Lives only in srt's memory; nothing here is logged, and a refusal
 * names the credential's origin (the settings pointer), never a value.
 *
 * A sentinel is swapped only where its own credential's injectHosts match the
 * host srt is actually connected to (the CONNECT target whose certificate it
 * verified), so one credential cannot be laundered through another's host.
 * A sentinel headed anywhere else refuses the request: the command is trying
 * to send a secret somewhere the policy did not name, and that is reported.
 */
import { matchNetRules, type CanonicalHost } from "../../../compiler/domains/index.js";
import type { NetRule, Origin } from "../../../compiler/ir.js";
import type { AwsPairs } from "./aws.js";

export interface MaskedSecret {
  readonly sentinel: string;
  readonly real: string;
  readonly hosts: readonly NetRule[];
  readonly origin: Origin;
}

export type Substitution =
  | { readonly ok: true; readonly text: string; readonly injected: number }
  | { readonly ok: false; readonly origin: Origin };

export interface MaskSet {
  readonly secrets: readonly MaskedSecret[];
  readonly allowPlaintext: boolean;
  /** Every sentinel in text replaced for host:port, or the first credential that may not go there. */
  apply(text: string, host: CanonicalHost, port: number): Substitution;
  /** Whether text holds any sentinel at all (cheap pre-check). */
  mentions(text: string): boolean;
  /** The longest sentinel, for stream scanners that must hold back a tail. */
  readonly longest: number;
  /** Masked AWS key pairs, whose requests are signed again (aws.ts). */
  readonly aws?: AwsPairs | undefined;
}

/** All sentinels start with this; a cheap first test before the per-secret scan. */
export const sentinelPrefix = "srt_masked_";

export function maskSet(secrets: readonly MaskedSecret[], allowPlaintext: boolean, aws?: AwsPairs): MaskSet {
  const may = new Map<string, boolean>();
  const allowed = (s: MaskedSecret, host: CanonicalHost, port: number): boolean => {
    const key = `${s.sentinel}\0${JSON.stringify(host)}\0${port}`;
    let v = may.get(key);
    if (v === undefined) may.set(key, (v = matchNetRules(s.hosts, host, port).verdict === "allow"));
    return v;
  };
  // Fake JWTs (decode: "jwt") carry no prefix: they are looked for one by one.
  const unprefixed = secrets.filter((s) => !s.sentinel.startsWith(sentinelPrefix));
  const mentions = (text: string): boolean =>
    text.includes(sentinelPrefix) || unprefixed.some((s) => text.includes(s.sentinel));
  return {
    secrets,
    allowPlaintext,
    ...(aws === undefined ? {} : { aws }),
    longest: Math.max(0, ...secrets.map((s) => s.sentinel.length)),
    mentions,
    apply(text, host, port) {
      if (!mentions(text)) return { ok: true, text, injected: 0 };
      let out = text;
      let injected = 0;
      for (const s of secrets) {
        if (!out.includes(s.sentinel)) continue;
        if (!allowed(s, host, port)) return { ok: false, origin: s.origin };
        const parts = out.split(s.sentinel);
        injected += parts.length - 1;
        out = parts.join(s.real);
      }
      return { ok: true, text: out, injected };
    },
  };
}
