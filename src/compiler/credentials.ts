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
import type { AwsPair, CredentialMask, CredentialMasks, NetRule, Pointer, Sigv4Policies } from "./ir.js";
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
  const awsPairs = normalizeAwsPairs(c, at, diagnostics);
  if (c.sigv4 !== undefined && awsPairs.length === 0) diagnostics.push(diagnostic("SRT447", `${at}/sigv4`, {}));
  const masks: CredentialMasks | undefined =
    entries.length === 0
      ? undefined
      : {
          entries,
          ...(awsPairs.length === 0 ? {} : { awsPairs, sigv4: sigv4Policies(c, at) }),
          allowPlaintextInject:
            c.allowPlaintextInject === undefined
              ? { value: false, origin: "default" }
              : { value: c.allowPlaintextInject, origin: `${at}/allowPlaintextInject` },
        };
  return { masks, envDeny };
}

/** The variables AWS SDKs and CLI read: paired without an awsPairs entry when masked whole. */
const conventional = {
  accessKeyIdVar: "AWS_ACCESS_KEY_ID",
  secretAccessKeyVar: "AWS_SECRET_ACCESS_KEY",
  sessionTokenVar: "AWS_SESSION_TOKEN",
} as const;

/**
 * credentials.awsPairs, plus the conventional trio when no entry names its
 * variables. Each part must be a whole-value env mask: its sentinel is what
 * the command signs with, and the key id's sentinel is what triggers re-signing.
 */
function normalizeAwsPairs(c: CredentialsSettings, at: Pointer, diagnostics: Diagnostic[]): AwsPair[] {
  const vars = c.envVars ?? [];
  const find = (name: string): (typeof vars)[number] | undefined => vars.find((v) => v.name === name);
  const whole = (name: string): string | undefined => {
    const v = find(name);
    if (v === undefined) return "is not in credentials.envVars";
    if (v.mode !== "mask") return 'is not "mode": "mask"';
    if (v.extract !== undefined || v.decode !== undefined) return "is masked in part (extract or decode)";
    return undefined;
  };
  const out: AwsPair[] = [];
  const named = new Set<string>();
  (c.awsPairs ?? []).forEach((p, i) => {
    const pointer = `${at}/awsPairs/${i}` as const;
    let ok = true;
    for (const key of ["accessKeyIdVar", "secretAccessKeyVar", "sessionTokenVar"] as const) {
      const name = p[key];
      if (name === undefined) continue;
      named.add(name);
      const why = whole(name);
      if (why !== undefined) {
        diagnostics.push(diagnostic("SRT445", `${pointer}/${key}`, { name, why }));
        ok = false;
      }
    }
    if (ok)
      out.push({
        accessKeyIdVar: p.accessKeyIdVar,
        secretAccessKeyVar: p.secretAccessKeyVar,
        ...(p.sessionTokenVar === undefined ? {} : { sessionTokenVar: p.sessionTokenVar }),
        origin: pointer,
      });
  });
  const { accessKeyIdVar, secretAccessKeyVar, sessionTokenVar } = conventional;
  if (![accessKeyIdVar, secretAccessKeyVar, sessionTokenVar].some((n) => named.has(n))) {
    const keyOk = whole(accessKeyIdVar) === undefined;
    const secretOk = whole(secretAccessKeyVar) === undefined;
    if (keyOk && secretOk)
      out.push({
        accessKeyIdVar,
        secretAccessKeyVar,
        ...(whole(sessionTokenVar) === undefined ? { sessionTokenVar } : {}),
        origin: `default:${accessKeyIdVar}`,
      });
    else if (secretOk) {
      const i = vars.findIndex((v) => v.name === secretAccessKeyVar);
      diagnostics.push(
        diagnostic("SRT446", `${at}/envVars/${i}`, { secret: secretAccessKeyVar, keyId: accessKeyIdVar }),
      );
    }
  }
  return out;
}

function sigv4Policies(c: CredentialsSettings, at: Pointer): Sigv4Policies {
  const one = (key: "streaming" | "presigned" | "sigv4a"): Sigv4Policies[typeof key] => {
    const v = c.sigv4?.[key];
    return v === undefined ? { value: "deny", origin: "default" } : { value: v, origin: `${at}/sigv4/${key}` };
  };
  return { streaming: one("streaming"), presigned: one("presigned"), sigv4a: one("sigv4a") };
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
