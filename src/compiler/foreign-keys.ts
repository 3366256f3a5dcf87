/**
 * Keys that srt's own format does not define but another tool's does: the
 * reference tool (@anthropic-ai/sandbox-runtime, every release up to 0.0.83),
 * the older permission-rule dialect and the ports' own spellings (SRT136). A user switching tools brings these
 * files along; a key some tool defines is not a typo, so it must never be
 * met with "unknown key". Each row says what srt does with it, in one place:
 * validation reads it for the keys srt refuses (SRT111), the compiler for the
 * keys it accepts but cannot use on a target (SRT130/SRT131). A key in no row
 * and not in the schema stays SRT110 with did-you-mean.
 *
 * `since` is the first release whose config schema has the key (found by
 * installing the releases; "dialect" for the permission-rule format; the
 * port's crate version for a port).
 */
import type { Target } from "./compile.js";
import { diagnostic, type Diagnostic } from "./diagnostics.js";

export type ForeignHandling =
  /** srt does what the key says (on `targets`; elsewhere a SRT130 warning). */
  | { readonly kind: "honoured"; readonly targets: readonly Target[]; readonly what: string }
  /** Accepted, with a SRT131 warning: srt reaches the same end another way, or has nothing to configure. */
  | { readonly kind: "not-needed"; readonly why: string }
  /** Refused (SRT111) until issue 16 lands the feature named here. */
  | { readonly kind: "not-supported-yet"; readonly feature: string }
  /** Refused (SRT111) for good: the key would let a command run unsandboxed or has no sandbox meaning. */
  | { readonly kind: "refused"; readonly why: string }
  /** A port's own spelling, read with the port's meaning (rs-dialect.ts; a SRT136 warning): `into` is what it becomes. */
  | { readonly kind: "translated"; readonly into: string };

export interface ForeignKey {
  /** Dotted path from the document root ("network.strictAllowlist"); "sandbox." / "permissions." for the dialect. */
  readonly key: string;
  readonly tool: "sandbox-runtime" | "permission dialect" | "sandbox-runtime-rs";
  readonly since: string;
  readonly handling: ForeignHandling;
}

const ref = (key: string, since: string, handling: ForeignHandling): ForeignKey => ({
  key,
  tool: "sandbox-runtime",
  since,
  handling,
});
const dialect = (key: string, why: string): ForeignKey => ({
  key,
  tool: "permission dialect",
  since: "dialect",
  handling: { kind: "refused", why },
});
const rs = (key: string, into: string): ForeignKey => ({
  key,
  tool: "sandbox-runtime-rs",
  since: "0.1.0",
  handling: { kind: "translated", into },
});
const macos = (what: string): ForeignHandling => ({ kind: "honoured", targets: ["macos"], what });
const linux = (what: string): ForeignHandling => ({ kind: "honoured", targets: ["linux"], what });
const everywhere = (what: string): ForeignHandling => ({ kind: "honoured", targets: ["linux", "macos"], what });

export const foreignKeys: readonly ForeignKey[] = [
  ref("ripgrep", "0.0.6", {
    kind: "not-needed",
    why: "srt finds the files it must protect without ripgrep (its own bounded walk)",
  }),
  ref("seccomp", "0.0.25", {
    kind: "not-needed",
    why: "srt generates its seccomp program itself and hands it to bwrap; there is no helper binary to point at",
  }),
  ref(
    "enableWeakerNetworkIsolation",
    "0.0.37",
    // Not "honoured": srt's Seatbelt profile already allows com.apple.trustd.agent (src/backends/seatbelt/essentials.ts).
    {
      kind: "not-needed",
      why: "srt's macOS profile always allows com.apple.trustd.agent (TLS certificate checks), and Linux has no such service",
    },
  ),
  ref("network.allowMachLookup", "0.0.47", macos("extra Mach services allowed in the Seatbelt profile")),
  ref("allowAppleEvents", "0.0.53", macos("Apple Events and Launch Services open requests allowed (WEAKER)")),
  ref("windows", "0.0.53", { kind: "not-needed", why: "srt has no Windows backend; these settings apply to none" }),
  ref("network.strictAllowlist", "0.0.55", {
    kind: "honoured",
    targets: ["linux", "macos"],
    what: "true: a library ask callback is never consulted; false: the default (srt asks only when a callback is given)",
  }),
  ref("filesystem.disabled", "0.0.59", everywhere("no file-system rules (WEAKER: explain says so)")),
  ref("git", "0.0.67", everywhere("git settings injected through GIT_CONFIG_* variables")),
  ref("git.safeDirectories", "0.0.67", everywhere("safe.directory for each directory and what is below it")),
  ref(
    "network.deniedDomainReasons",
    "0.0.69",
    everywhere("the reason is shown in the 403, the SOCKS log and the violation"),
  ),
  ref("bwrapPath", "0.0.50", linux("the bwrap binary, if it passes srt's trust checks for host tools")),
  ref("socatPath", "0.0.50", linux("the socat binary, if it passes srt's trust checks for host tools")),
  ref("javaAgentJarPath", "0.0.74", {
    kind: "not-needed",
    why: "srt points the JVM at its proxies with JAVA_TOOL_OPTIONS properties, without an agent jar",
  }),
  // Issue 16 ("Network: upstream proxies, TLS termination with credential masking, request filters").
  ref(
    "network.parentProxy",
    "0.0.43",
    everywhere("allowed traffic leaves through the upstream proxy, after srt decided"),
  ),
  ref("network.tlsTerminate", "0.0.51", everywhere("HTTPS to allowed hosts terminated in srt's proxy")),
  ref("network.filterRequest", "0.0.51", {
    kind: "refused",
    why: "a settings file cannot hold a function: pass filterRequest to createSandbox() or in SandboxManager.initialize's network config",
  }),
  ref(
    "credentials",
    "0.0.56",
    everywhere("secrets denied, or masked and injected by the proxy (a masked file stays withheld on macOS: SRT433)"),
  ),
  ref(
    "credentials.awsPairs",
    "0.0.56",
    everywhere("a masked AWS key pair: requests signed with its sentinel are re-signed (SigV4) by the proxy"),
  ),
  ref("credentials.sigv4", "0.0.56", everywhere("what becomes of SigV4 requests the proxy cannot re-sign")),
  ref("network.allowPlaintextHeaderSet", "0.0.80", everywhere("a library filterRequest may set headers on plain HTTP")),
  ref("network.stripResponseHeaders", "0.0.80", everywhere("response headers the command never sees")),
  ref("network.refuseOpaqueTunnels", "0.0.80", everywhere("tunnels srt cannot see into are refused")),
  ref("network.requireHostMatch", "0.0.80", everywhere("421 when Host / server name names another host")),
  ref(
    "network.ambiguousRequestTarget",
    "0.0.80",
    everywhere("ambiguous request targets refused, or forwarded as chosen"),
  ),
  // The older dialect's harness switches: each would let a command run outside the sandbox.
  dialect("sandbox.excludedCommands", "srt runs every command sandboxed; there is no list of commands that skip it"),
  dialect("sandbox.allowUnsandboxedCommands", "srt never runs a command unsandboxed"),
  dialect("sandbox.autoAllowBashIfSandboxed", "an agent-harness approval switch; srt has no approval step"),
  dialect("permissions.ask", "srt cannot ask: a rule either is in the policy or is not"),
  dialect("permissions.defaultMode", "an agent-harness approval mode; srt has none"),
  dialect("permissions.additionalDirectories", "list the directories in filesystem.allowWrite (under sandbox) instead"),
  // light-magician/sandbox-runtime-rs 0.1.0 (a macOS-only Rust port): snake_case keys of its own.
  // Its Seatbelt profile reads everything, writes only allowed_paths, and denies reading and
  // creating blocked_paths; network.enabled false is no network at all.
  // Translated by rs-dialect.ts; next to srt's key for the same thing it is refused (SRT137).
  rs("filesystem.allowed_paths", "filesystem.allowWrite (absent: nothing is writable, as under the port)"),
  rs("filesystem.blocked_paths", "both filesystem.denyRead and filesystem.denyWrite"),
  rs("network.enabled", "true: network only to allowed_domains, through srt's proxy; false or absent: no network"),
  rs("network.allowed_domains", 'network.allowedDomains when enabled is true ("*", every domain, is refused in srt)'),
];

/** The schema object a dotted key sits in, as validate.ts names them. */
const ownerOf = (key: string): string => {
  const parent = key.includes(".") ? key.slice(0, key.lastIndexOf(".")) : "";
  return parent === "" ? "#" : `#/definitions/${parent}`;
};
const leafOf = (key: string): string => key.slice(key.lastIndexOf(".") + 1);

/** The row for a key the schema refused in the object `owner` ("#", "#/definitions/network"), if any. */
export function foreignKeyAt(owner: string, key: string): ForeignKey | undefined {
  return foreignKeys.find((f) => ownerOf(f.key) === owner && leafOf(f.key) === key);
}

/** Why srt refuses a row's key (SRT111), or undefined when it accepts it. */
export function refusal(f: ForeignKey): string | undefined {
  switch (f.handling.kind) {
    case "not-supported-yet":
      return `${f.handling.feature} is not supported yet (issue 16: "Network: upstream proxies, TLS termination with credential masking, request filters")`;
    case "refused":
      return f.handling.why;
    case "translated":
    case "honoured":
    case "not-needed":
      return undefined;
  }
}

/**
 * The warnings for accepted keys of another tool present in `settings`: a key
 * srt does not need (SRT131), or one it honours on other targets only (SRT130).
 * Said out loud, never silently dropped: the user should know what it does here.
 */
export function foreignKeyDiagnostics(settings: unknown, target: Target): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const f of foreignKeys) {
    if (f.tool !== "sandbox-runtime" || !present(settings, f.key)) continue;
    const pointer = `/${f.key.split(".").join("/")}` as const;
    const h = f.handling;
    if (h.kind === "not-needed") out.push(diagnostic("SRT131", pointer, { key: f.key, since: f.since, why: h.why }));
    else if (h.kind === "honoured" && !h.targets.includes(target))
      out.push(diagnostic("SRT130", pointer, { key: f.key, since: f.since, target, targets: h.targets.join(", ") }));
  }
  return out;
}

function present(value: unknown, key: string): boolean {
  let v = value;
  for (const k of key.split(".")) {
    if (typeof v !== "object" || v === null || !Object.hasOwn(v, k)) return false;
    v = (v as Record<string, unknown>)[k];
  }
  return v !== undefined;
}
