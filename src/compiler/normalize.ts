/**
 * Stage 3: settings view → normalized intents. Paths become absolute with
 * literal-vs-glob decided, domains are parsed and canonicalized, defaults are
 * filled in with "default:…" origins. Still no file-system access: that is
 * `expand`'s job.
 */
import { diagnostic, type Diagnostic } from "./diagnostics.js";
import { parseCidr, parseHostPattern } from "./domains/index.js";
import { normalizeParentProxy } from "./parent-proxy.js";
import type {
  Access,
  AddressRule,
  Effect,
  EnvPolicy,
  Flag,
  IgnoreRule,
  NetRule,
  NetworkPolicy,
  Origin,
  Policy,
  ResourceLimits,
  UnixSocketRule,
} from "./ir.js";
import { normalizePath, type PathSpec } from "./paths.js";
import { escapeSegment } from "./pointer.js";
import type { PathEntry } from "./settings.gen.js";
import type { Listed, SettingsView, Sourced } from "./view.js";
import { presetTable } from "./presets.js";
import { compareStrings } from "./compare.js";
import { normalizeCredentials } from "./credentials.js";
import { normalizeTlsTerminate } from "./tls-terminate.js";
import { normalizeRequestFilters } from "./request-filters.js";
import { normalizeLimits } from "./limits.js";

export interface PathIntent {
  readonly access: Access;
  readonly effect: Effect;
  readonly spec: PathSpec;
  readonly origin: Origin;
}

export interface NormalizedSettings {
  readonly paths: readonly PathIntent[];
  readonly network: NetworkPolicy;
  readonly env: EnvPolicy;
  readonly ignoreViolations: readonly IgnoreRule[];
  readonly options: Policy["options"];
  readonly limits: ResourceLimits;
  /** Pointers of keys that are accepted but enforced by no backend yet. */
  readonly inert: readonly string[];
  /** filesystem.disabled: true, by its pointer: no path rules (paths is empty). */
  readonly filesystemDisabled?: Origin;
  readonly hostTools?: Policy["hostTools"];
}

export function normalizeSettings(
  view: SettingsView,
  env: { readonly cwd: string; readonly home: string; readonly vars?: Readonly<Record<string, string>> },
): { normalized: NormalizedSettings; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const paths: PathIntent[] = [];
  const addPaths = (list: readonly Listed<PathEntry>[], access: Access, effect: Effect): void => {
    for (const { value, pointer, origin } of list) {
      const [raw, literal] = typeof value === "string" ? [value, false] : [value.path, value.literal === true];
      const r = normalizePath(raw, literal, env);
      if (!r.ok) {
        diagnostics.push(
          r.glob
            ? diagnostic("SRT203", pointer, { reason: r.message, hint: r.hint })
            : diagnostic("SRT202", pointer, { reason: r.message, hint: r.hint }),
        );
      } else {
        paths.push({ access, effect, spec: r.spec, origin: origin ?? pointer });
      }
    }
  };
  const disabled = view.filesystemDisabled?.value === true ? view.filesystemDisabled.pointer : undefined;
  // filesystem.disabled drops every path rule, the default working directory included; the compiler
  // then makes everything writable in one rule that names the key (see compile.ts).
  if (disabled === undefined) {
    addPathIntents(view, env, addPaths, paths);
    // A preset's caches add to the writable places; they never replace the default working directory.
    for (const p of view.presets) {
      const preset = presetTable[p.value];
      const origin = `preset:${p.value}` as const;
      addPaths(
        preset.cacheDirs.map((value) => ({ value, pointer: p.pointer, origin })),
        "write",
        "allow",
      );
      addPaths(
        Object.keys(preset.denyWrite).map((value) => ({ value, pointer: p.pointer, origin })),
        "write",
        "deny",
      );
    }
  }

  const tlsAt = `${view.network?.pointer ?? "/network"}/tlsTerminate` as const;
  const tls = view.network?.value.tlsTerminate;
  const tlsTerminate = tls === undefined ? undefined : normalizeTlsTerminate(tls, tlsAt, env, diagnostics, paths);
  const base = normalizeNetwork(view, env, diagnostics);
  const creds = normalizeCredentials(
    view.credentials?.value,
    view.credentials?.pointer ?? "/credentials",
    { env, allowed: base.rules.filter((r) => r.effect === "allow"), tlsTerminate: tlsTerminate !== undefined },
    diagnostics,
    paths,
  );
  const network: NetworkPolicy = {
    ...base,
    ...(tlsTerminate === undefined ? {} : { tlsTerminate }),
    ...(creds.masks === undefined ? {} : { masks: creds.masks }),
  };
  const flag = (s: Sourced<boolean> | undefined): Flag =>
    s ? { value: s.value, origin: s.pointer } : { value: false, origin: "default" };
  const depth = view.scalars.mandatoryDenySearchDepth;
  const options: Policy["options"] = {
    enableWeakerNestedSandbox: flag(view.scalars.enableWeakerNestedSandbox),
    allowNestedUserNamespaces: flag(view.scalars.allowNestedUserNamespaces),
    allowPty: flag(view.scalars.allowPty),
    allowGitConfig: flag(view.scalars.allowGitConfig),
    mandatoryDenySearchDepth: depth
      ? { value: depth.value, origin: depth.pointer }
      : { value: "unlimited", origin: "default" },
    ...(view.tooling.allowAppleEvents === undefined ? {} : { allowAppleEvents: flag(view.tooling.allowAppleEvents) }),
  };
  const e = view.env;
  const safe = gitSafeDirectories(view.tooling.gitSafeDirectories, env, diagnostics);
  const envPolicy: EnvPolicy = {
    inherit: e?.value.inherit ?? "all",
    allow: [...new Set(e?.value.allow ?? [])].sort(),
    deny: [...new Set([...(e?.value.deny ?? []), ...creds.envDeny])].sort(),
    origin: e?.pointer ?? "default",
    ...(safe === undefined ? {} : { gitSafeDirectories: safe }),
  };
  const hostTools = hostToolPaths(view, diagnostics);
  const ignoreViolations: IgnoreRule[] = Object.entries(view.ignoreViolations?.value ?? {})
    .map(([command, violations]) => ({
      command,
      violations: [...violations].sort(),
      origin: `${view.ignoreViolations?.pointer ?? ""}/${escapeSegment(command)}` as const,
    }))
    .sort((a, b) => compareStrings(a.command, b.command));
  const inert = view.docker ? [view.docker.pointer] : [];
  const limits: ResourceLimits = normalizeLimits(view.limits, view.docker, diagnostics);
  return {
    normalized: {
      paths,
      network,
      env: envPolicy,
      ignoreViolations,
      options,
      limits,
      inert,
      ...(disabled === undefined ? {} : { filesystemDisabled: disabled }),
      ...(hostTools === undefined ? {} : { hostTools }),
    },
    diagnostics,
  };
}

function addPathIntents(
  view: SettingsView,
  env: { readonly cwd: string; readonly home: string },
  addPaths: (list: readonly Listed<PathEntry>[], access: Access, effect: Effect) => void,
  paths: PathIntent[],
): void {
  addPaths(view.denyRead, "read", "deny");
  addPaths(view.allowRead, "read", "allow");
  // srt's allowWrite replaces the default; in the permission dialect (as in the tool it comes from)
  // Edit rules and sandbox.filesystem.allowWrite add to the working directory.
  if (view.allowWrite === undefined || view.dialect === "permissions")
    paths.push({ access: "write", effect: "allow", spec: { path: env.cwd, glob: false }, origin: "default:cwd" });
  if (view.allowWrite !== undefined) addPaths(view.allowWrite, "write", "allow");
  addPaths(view.addedWrite ?? [], "write", "allow");
  addPaths(view.denyWrite, "write", "deny");
}

/**
 * git.safeDirectories as git wants them: absolute (`~` and relative ones resolved as any path of the
 * policy), no trailing slash, each once. git compares safe.directory with a repository's top level
 * exactly, so the runtime adds `DIR/*` for the repositories below each one.
 */
function gitSafeDirectories(
  list: Sourced<readonly string[]> | undefined,
  env: { readonly cwd: string; readonly home: string },
  diagnostics: Diagnostic[],
): EnvPolicy["gitSafeDirectories"] {
  if (list === undefined || list.value.length === 0) return undefined;
  const paths: string[] = [];
  list.value.forEach((raw, i) => {
    const r = normalizePath(raw, true, env);
    if (!r.ok) diagnostics.push(diagnostic("SRT202", `${list.pointer}/${i}`, { reason: r.message, hint: r.hint }));
    else if (!paths.includes(r.spec.path)) paths.push(r.spec.path);
  });
  return { paths, origin: list.pointer };
}

/** bwrapPath / socatPath: absolute, or refused (srt never looks host tools up on PATH). */
function hostToolPaths(view: SettingsView, diagnostics: Diagnostic[]): Policy["hostTools"] {
  const out: { bwrap?: { path: string; origin: Origin }; socat?: { path: string; origin: Origin } } = {};
  for (const [key, name] of [
    ["bwrapPath", "bwrap"],
    ["socatPath", "socat"],
  ] as const) {
    const t = view.tooling[key];
    if (t === undefined) continue;
    if (!t.value.startsWith("/") || t.value.split("/").includes(".."))
      diagnostics.push(diagnostic("SRT133", t.pointer, { key, path: t.value }));
    else out[name] = { path: t.value, origin: t.pointer };
  }
  return out.bwrap === undefined && out.socat === undefined ? undefined : out;
}

function normalizeNetwork(
  view: SettingsView,
  env: { readonly cwd: string; readonly home: string; readonly vars?: Readonly<Record<string, string>> },
  diagnostics: Diagnostic[],
): NetworkPolicy {
  const rules: NetRule[] = [];
  const parseList = (list: readonly Listed<string>[], effect: Effect, into: NetRule[]): void => {
    for (const { value, pointer, origin } of list) {
      const r = parseHostPattern(value, effect === "allow" ? "allow" : "deny");
      if (!r.ok) diagnostics.push(diagnostic("SRT200", pointer, { value, reason: r.message, hint: r.hint }));
      else
        into.push({
          kind: "net",
          effect,
          host: r.host,
          ...(r.port === undefined ? {} : { port: r.port }),
          source: value,
          origin: origin ?? pointer,
        });
    }
  };
  parseList(view.deniedDomains, "deny", rules);
  parseList(view.allowedDomains, "allow", rules);
  for (const p of view.presets) {
    const origin = `preset:${p.value}` as const;
    parseList(
      presetTable[p.value].allowedDomains.map((value) => ({ value, pointer: p.pointer, origin })),
      "allow",
      rules,
    );
  }

  const net = view.network?.value;
  const at = view.network?.pointer ?? "/network";
  // deniedDomainReasons is keyed by the deniedDomains entry exactly as written (as in the reference tool).
  const reasons = net?.deniedDomainReasons ?? {};
  for (const entry of Object.keys(reasons).sort()) {
    if (!view.deniedDomains.some((d) => d.value === entry))
      diagnostics.push(diagnostic("SRT132", `${at}/deniedDomainReasons/${escapeSegment(entry)}`, { entry }));
  }
  const withReasons = rules.map((r) =>
    r.effect === "deny" && Object.hasOwn(reasons, r.source) ? { ...r, reason: reasons[r.source]! } : r,
  );
  rules.splice(0, rules.length, ...withReasons);
  const deniedResolvedAddresses: AddressRule[] = [];
  (net?.deniedResolvedAddresses ?? []).forEach((text, i) => {
    const r = parseCidr(text);
    if (!r.ok)
      diagnostics.push(diagnostic("SRT201", `${at}/deniedResolvedAddresses/${i}`, { value: text, reason: r.message }));
    else
      deniedResolvedAddresses.push({
        kind: "address",
        cidr: r.cidr,
        family: r.family,
        origin: `${at}/deniedResolvedAddresses/${i}`,
      });
  });
  const unixSockets: UnixSocketRule[] = [];
  (net?.allowUnixSockets ?? []).forEach((text, i) => {
    const pointer = `${at}/allowUnixSockets/${i}` as const;
    const r = normalizePath(text, true, env);
    if (!r.ok) diagnostics.push(diagnostic("SRT202", pointer, { reason: r.message, hint: r.hint }));
    else unixSockets.push({ kind: "unix-socket", path: r.spec.path, origin: pointer });
  });
  const flag = (key: "allowAllUnixSockets" | "allowLocalBinding"): Flag =>
    net?.[key] === undefined ? { value: false, origin: "default" } : { value: net[key], origin: `${at}/${key}` };

  let mitmProxy: NetworkPolicy["mitmProxy"];
  if (net?.mitmProxy) {
    const domains: NetRule[] = [];
    parseList(
      net.mitmProxy.domains.map((value, i) => ({ value, pointer: `${at}/mitmProxy/domains/${i}` })),
      "allow",
      domains,
    );
    const allowed = new Set(rules.filter((r) => r.effect === "allow").map((r) => JSON.stringify([r.host, r.port])));
    for (const d of domains) {
      if (!allowed.has(JSON.stringify([d.host, d.port])))
        diagnostics.push(diagnostic("SRT204", d.origin, { source: d.source }));
    }
    const sock = normalizePath(net.mitmProxy.socketPath, true, env);
    if (!sock.ok)
      diagnostics.push(diagnostic("SRT202", `${at}/mitmProxy/socketPath`, { reason: sock.message, hint: sock.hint }));
    else mitmProxy = { socketPath: sock.spec.path, domains, origin: `${at}/mitmProxy` };
  }
  const parentProxy = normalizeParentProxy(net?.parentProxy, `${at}/parentProxy`, env.vars ?? {}, diagnostics);
  const requestFilters = normalizeRequestFilters(net, at, diagnostics);
  return {
    rules,
    deniedResolvedAddresses,
    unixSockets,
    allowAllUnixSockets: flag("allowAllUnixSockets"),
    allowLocalBinding: flag("allowLocalBinding"),
    ...(net?.httpProxyPort === undefined ? {} : { httpProxyPort: net.httpProxyPort }),
    ...(net?.socksProxyPort === undefined ? {} : { socksProxyPort: net.socksProxyPort }),
    ...(mitmProxy === undefined ? {} : { mitmProxy }),
    ...(parentProxy === undefined ? {} : { parentProxy }),
    ...(net?.strictAllowlist === undefined
      ? {}
      : { strictAllowlist: { value: net.strictAllowlist, origin: `${at}/strictAllowlist` as const } }),
    ...(requestFilters === undefined ? {} : { requestFilters }),
    ...(net?.allowMachLookup === undefined || net.allowMachLookup.length === 0
      ? {}
      : {
          machLookup: {
            names: [...new Set(net.allowMachLookup)].sort(),
            origin: `${at}/allowMachLookup` as const,
          },
        }),
  };
}
