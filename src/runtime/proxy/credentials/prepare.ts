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
    if (m.source.kind === "env") env[m.source.name] = shown;
    else files.set(m.source.path, shown);
  }
  return { set: maskSet(secrets, masks.allowPlaintextInject.value), env, files, warnings };
}

/** The masked text, or undefined when extract found nothing to mask. */
function mask(m: CredentialMask, real: string, random: () => string, into: MaskedSecret[]): string | undefined {
  const bySecret = new Map<string, string>();
  const sentinelOf = (secret: string): string => {
    let s = bySecret.get(secret);
    if (s === undefined) {
      s = `${sentinelPrefix}${random()}`;
      bySecret.set(secret, s);
      into.push({ sentinel: s, real: secret, hosts: m.injectHosts, origin: m.origin });
    }
    return s;
  };
  if (m.extract === undefined) {
    const value = real.replace(/\s+$/, "");
    if (value === "") return undefined;
    return sentinelOf(value) + real.slice(value.length);
  }
  const re = new RegExp(m.extract, "gd");
  let out = "";
  let last = 0;
  let found = 0;
  for (const match of real.matchAll(re)) {
    const secret = match[1];
    const span = match.indices?.[1];
    if (secret === undefined || secret === "" || span === undefined) continue;
    const start = span[0];
    out += real.slice(last, start) + sentinelOf(secret);
    last = start + secret.length;
    found++;
  }
  return found === 0 ? undefined : out + real.slice(last);
}
