/**
 * At the start of a run: read each masked secret where the policy says it
 * lives (a variable of srt's own environment, a file on the host), make its
 * per-run sentinel, and say what the command gets instead: a variable set to
 * the masked value, or a file (written in the run directory, which every
 * sandbox has hidden) bound read-only over the denied original.
 *
 * Whole-value masking keeps trailing white space (a token file's newline) in
 * the masked copy and out of the real value, so a tool that trims what it
 * reads sends exactly the sentinel. With extract, group 1 of every match is
 * masked and the rest is kept byte for byte; the same secret gets the same
 * sentinel. When extract finds nothing: "deny" (srt's default) leaves the
 * deny in place, "warn" gives the real value back with a warning, "error"
 * fails the run.
 */
import { randomBytes } from "node:crypto";
import type { CredentialMask, CredentialMasks } from "../../../compiler/ir.js";
import { RuntimeFailure } from "../../failure.js";
import { awsPairs, type AwsKeyPair } from "./aws.js";
import { fakeJwt, jwtPattern, maskJwtClaims, parseJwt } from "./jwt.js";
import { maskSet, sentinelPrefix, type MaskedSecret, type MaskSet } from "./masks.js";

export interface PreparedMasks {
  readonly set: MaskSet;
  /** Variables the command gets, with masked values (or, after "warn", real ones). */
  readonly env: Readonly<Record<string, string>>;
  /** Files to bind over their denied originals: path → the content the command reads. */
  readonly files: ReadonlyMap<string, string>;
  /** Lines for the user (never holding a value). */
  readonly warnings: readonly string[];
}

export interface MaskSources {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The file's text, or undefined when it is absent or unreadable (then the deny stays). */
  readonly readFile: (path: string) => string | undefined;
  readonly random?: () => string;
}

export function prepareMasks(masks: CredentialMasks, src: MaskSources): PreparedMasks {
  const random = src.random ?? (() => randomBytes(16).toString("hex"));
  const secrets: MaskedSecret[] = [];
  const env: Record<string, string> = {};
  const files = new Map<string, string>();
  const warnings: string[] = [];
  /** Whole-value variable masks: name → sentinel and real value (what an AWS pair is made of). */
  const whole = new Map<string, { sentinel: string; real: string; mask: CredentialMask }>();
  for (const m of masks.entries) {
    const real = m.source.kind === "env" ? src.env[m.source.name] : src.readFile(m.source.path);
    // Nothing to protect: an unset variable stays unset, an absent file stays denied.
    if (real === undefined) continue;
    const masked = mask(m, real, random, secrets);
    let shown: string | undefined = masked;
    if (masked === undefined) {
      const what = m.source.kind === "env" ? `$${m.source.name}` : m.source.path;
      if (m.onExtractNoMatch === "error")
        throw new RuntimeFailure("SRT540", `the extract pattern of ${m.origin} finds nothing in ${what}`);
      if (m.onExtractNoMatch === "warn") {
        warnings.push(
          `srt: warning: the extract pattern of ${m.origin} finds nothing in ${what}; it is passed unmasked`,
        );
        shown = real;
      } else {
        warnings.push(`srt: the extract pattern of ${m.origin} finds nothing in ${what}; it stays withheld`);
        shown = undefined;
      }
    }
    if (shown === undefined) continue;
    if (masked !== undefined && m.source.kind === "env" && m.extract === undefined && m.decode === undefined)
      whole.set(m.source.name, { sentinel: masked.replace(/\s+$/, ""), real: real.replace(/\s+$/, ""), mask: m });
    if (m.source.kind === "env") env[m.source.name] = shown;
    else files.set(m.source.path, shown);
  }
  const pairs: AwsKeyPair[] = [];
  for (const p of masks.awsPairs ?? []) {
    const key = whole.get(p.accessKeyIdVar);
    const secret = whole.get(p.secretAccessKeyVar);
    // A pair needs both halves in srt's environment; a half-set pair only has its parts masked.
    if (key === undefined || secret === undefined) {
      if (secret !== undefined)
        warnings.push(
          `srt: warning: $${p.secretAccessKeyVar} is masked but $${p.accessKeyIdVar} is unset: requests signed with the masked secret will not verify  ← ${p.origin}`,
        );
      continue;
    }
    pairs.push({
      sentinelKeyId: key.sentinel,
      realKeyId: key.real,
      realSecret: secret.real,
      hosts: key.mask.injectHosts,
      origin: p.origin,
    });
  }
  const aws = masks.sigv4 === undefined || pairs.length === 0 ? undefined : awsPairs(pairs, masks.sigv4);
  return { set: maskSet(secrets, masks.allowPlaintextInject.value, aws), env, files, warnings };
}

/** The masked text, or undefined when nothing was masked (extract or decode found nothing). */
function mask(m: CredentialMask, real: string, random: () => string, into: MaskedSecret[]): string | undefined {
  const bySecret = new Map<string, string>();
  const register = (secret: string, sentinel: string): string => {
    bySecret.set(secret, sentinel);
    into.push({ sentinel, real: secret, hosts: m.injectHosts, origin: m.origin });
    return sentinel;
  };
  const sentinelOf = (secret: string): string =>
    bySecret.get(secret) ?? register(secret, `${sentinelPrefix}${random()}`);
  /** What replaces one candidate span, or undefined to leave it. */
  const replace = (secret: string): string | undefined => {
    if (m.decode !== "jwt") return sentinelOf(secret);
    const known = bySecret.get(secret);
    if (known !== undefined) return known;
    const jwt = parseJwt(secret);
    if (jwt === undefined) return undefined;
    if (m.maskClaims === undefined) return register(secret, fakeJwt(random));
    const rebuilt = maskJwtClaims(jwt, m.maskClaims, sentinelOf);
    return rebuilt === undefined ? undefined : register(secret, rebuilt);
  };
  // Whole value: a variable without extract (JWT or not), a file without extract or decode.
  const pattern = m.extract ?? (m.decode === "jwt" && m.source.kind === "file" ? jwtPattern : undefined);
  let out: string;
  if (pattern === undefined) {
    const value = real.replace(/\s+$/, "");
    const r = value === "" ? undefined : replace(value);
    if (r === undefined) return undefined;
    out = r + real.slice(value.length);
  } else {
    out = "";
    let last = 0;
    let masked = 0;
    for (const match of real.matchAll(new RegExp(pattern, "gd"))) {
      const secret = match[1];
      const span = match.indices?.[1];
      if (secret === undefined || secret === "" || span === undefined) continue;
      const r = replace(secret);
      if (r === undefined) continue;
      out += real.slice(last, span[0]) + r;
      last = span[1];
      masked++;
    }
    if (masked === 0) return undefined;
    out += real.slice(last);
  }
  // maskDuplicates: the same secrets verbatim anywhere else in the text (a token pasted into a comment).
  if (m.maskDuplicates === true) for (const [secret, sentinel] of bySecret) out = out.split(secret).join(sentinel);
  return out;
}
