/**
 * credentials → read denies, environment denies and the IR's masks. Both
 * modes start from "withheld": a denied or masked file joins the read denies
 * and a denied or masked variable joins env.deny. A mask then only *adds*
 * something at run time (the sentinel, bound over the denied file or set in
 * the environment) when srt's proxy runs to swap it back; if anything about
 * that fails, what remains is the deny (fail closed). The IR names where each
 * secret lives, never its value, so no plan, golden or explain can hold one.
 */
import { diagnostic, type Diagnostic } from "./diagnostics.js";
import { parseHostPattern } from "./domains/index.js";
import type { CredentialMask, CredentialMasks, NetRule, Pointer } from "./ir.js";
import type { PathIntent } from "./normalize.js";
import { normalizePath } from "./paths.js";
import type { CredentialsSettings } from "./settings.gen.js";

export interface NormalizedCredentials {
  readonly masks: CredentialMasks | undefined;
  /** Variables that never pass into the sandbox with their real value. */
  readonly envDeny: readonly string[];
}

export function normalizeCredentials(
  c: CredentialsSettings | undefined,
  at: Pointer,
  context: {
    readonly env: { readonly cwd: string; readonly home: string };
    readonly allowed: readonly NetRule[];
    readonly tlsTerminate: boolean;
  },
  diagnostics: Diagnostic[],
  paths: PathIntent[],
): NormalizedCredentials {
  if (c === undefined) return { masks: undefined, envDeny: [] };
  const entries: CredentialMask[] = [];
  const envDeny: string[] = [];
  const plaintext = c.allowPlaintextInject === true;

  const common = (
    e: {
      mode: "deny" | "mask";
      extract?: string;
      onExtractNoMatch?: "warn" | "deny" | "error";
      injectHosts?: string[];
      decode?: "jwt";
      maskClaims?: string[];
      maskDuplicates?: boolean;
    },
    pointer: Pointer,
  ): Omit<CredentialMask, "source" | "origin"> | undefined => {
    if (e.mode !== "mask") return undefined;
    if (!context.tlsTerminate && !plaintext) diagnostics.push(diagnostic("SRT431", `${pointer}/mode`, {}));
    if (e.extract !== undefined) {
      const problem = regexProblem(e.extract);
      if (problem !== undefined)
        diagnostics.push(diagnostic("SRT432", `${pointer}/extract`, { pattern: e.extract, problem }));
    }
    if (e.maskClaims !== undefined && e.decode === undefined)
      diagnostics.push(diagnostic("SRT434", `${pointer}/maskClaims`, { key: "maskClaims", needs: "decode" }));
    if (e.maskDuplicates === true && e.decode === undefined && e.extract === undefined)
      diagnostics.push(
        diagnostic("SRT434", `${pointer}/maskDuplicates`, { key: "maskDuplicates", needs: "extract or decode" }),
      );
    const injectHosts: NetRule[] = [];
    if (e.injectHosts === undefined) injectHosts.push(...context.allowed);
    else
      e.injectHosts.forEach((value, i) => {
        const hp = `${pointer}/injectHosts/${i}` as const;
        const r = parseHostPattern(value, "allow");
        if (!r.ok) diagnostics.push(diagnostic("SRT200", hp, { value, reason: r.message, hint: r.hint }));
        else
          injectHosts.push({
            kind: "net",
            effect: "allow",
            host: r.host,
            ...(r.port === undefined ? {} : { port: r.port }),
            source: value,
            origin: hp,
          });
      });
    return {
      ...(e.extract === undefined ? {} : { extract: e.extract }),
      ...(e.decode === undefined ? {} : { decode: e.decode }),
      ...(e.maskClaims === undefined ? {} : { maskClaims: e.maskClaims }),
      ...(e.maskDuplicates === undefined ? {} : { maskDuplicates: e.maskDuplicates }),
      onExtractNoMatch: e.onExtractNoMatch ?? "deny",
      injectHosts,
    };
  };

  (c.files ?? []).forEach((f, i) => {
    const pointer = `${at}/files/${i}` as const;
    const r = normalizePath(f.path, true, context.env);
    if (!r.ok) {
      diagnostics.push(diagnostic("SRT202", `${pointer}/path`, { reason: r.message, hint: r.hint }));
      return;
    }
    paths.push({ access: "read", effect: "deny", spec: r.spec, origin: pointer });
    const mask = common(f, pointer);
    if (mask) entries.push({ source: { kind: "file", path: r.spec.path }, ...mask, origin: pointer });
  });
  (c.envVars ?? []).forEach((v, i) => {
    const pointer = `${at}/envVars/${i}` as const;
    envDeny.push(v.name);
    const mask = common(v, pointer);
    if (mask) entries.push({ source: { kind: "env", name: v.name }, ...mask, origin: pointer });
  });
  const masks: CredentialMasks | undefined =
    entries.length === 0
      ? undefined
      : {
          entries,
          allowPlaintextInject:
            c.allowPlaintextInject === undefined
              ? { value: false, origin: "default" }
              : { value: c.allowPlaintextInject, origin: `${at}/allowPlaintextInject` },
        };
  return { masks, envDeny };
}

/** Why an extract pattern cannot be used, or undefined. It must compile and have a capture group 1. */
export function regexProblem(source: string): string | undefined {
  let re: RegExp;
  try {
    re = new RegExp(source, "g");
  } catch (e) {
    return (e as Error).message;
  }
  // A pattern's group count: a regex that matches the empty string at the start with the pattern as an alternative.
  const groups = new RegExp(`${re.source}|`).exec("")!.length - 1;
  return groups < 1 ? "it has no capture group: group 1 is the part that is masked" : undefined;
}
