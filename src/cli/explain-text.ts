/**
 * The effective policy in words, for people reviewing it: what is readable,
 * writable and reachable, which mandatory denies apply and why, and where
 * every rule came from.
 */
import { requestFilterLines } from "./explain-filters.js";
import { tlsAndMaskLines } from "./explain-credentials.js";
import { quotePath } from "../compiler/byte-paths.js";
import { applyEnvPolicy } from "../compiler/env-policy.js";
import { unlistableReason } from "../compiler/unlistable.js";
import { explainPlatform } from "./explain-platform.js";
import {
  mandatoryReasons,
  type FsRule,
  type NetRule,
  type PathRule,
  type Policy,
  type Target,
} from "../compiler/index.js";
import { isWithin } from "../compiler/paths.js";
import type { UpstreamProxy } from "../compiler/ir.js";
import { systemProgramDirs } from "../compiler/compile.js";
import { presetTable, type PresetName } from "../compiler/presets.js";

const describeVia = (r: PathRule): string =>
  r.via.kind === "glob"
    ? ` (matches ${r.via.pattern})`
    : r.via.kind === "symlink"
      ? ` (spelled ${quotePath(r.via.spelled)})`
      : "";
const node = (r: PathRule): string => (r.node === "absent" ? "absent now" : r.node);
const line = (mark: string, what: string, origin: string): string => `    ${mark} ${what}  ← ${origin}`;

function fsLines(
  rules: readonly FsRule[],
  access: "read" | "write",
  effect: "allow" | "deny",
  mandatory: boolean | undefined,
): string[] {
  return rules
    .filter(
      (r) =>
        r.access === access &&
        r.effect === effect &&
        (mandatory === undefined || r.origin.startsWith("mandatory:") === mandatory),
    )
    .map((r) =>
      r.kind === "glob"
        ? line(
            effect === "deny" ? "✗" : "✓",
            `${quotePath(r.pattern)} glob, ${r.matches} match${r.matches === 1 ? "" : "es"} now`,
            r.origin,
          )
        : line(effect === "deny" ? "✗" : "✓", `${quotePath(r.path)} [${node(r)}]${describeVia(r)}`, r.origin),
    );
}

function netText(r: NetRule): string {
  const h = r.host;
  const host =
    h.kind === "any"
      ? "every host"
      : h.kind === "name"
        ? h.name
        : h.kind === "subdomains"
          ? `any subdomain of ${h.name} (not ${h.name} itself)`
          : h.address;
  const reason = r.reason === undefined ? "" : ` — refused with the reason ${JSON.stringify(r.reason)}`;
  return `${host}, ${r.port === undefined ? "any port" : `port ${r.port}`}${reason}`;
}

export function explainPolicy(p: Policy, target: Target, vars: Readonly<Record<string, string>>): string {
  const fs = p.filesystem.rules;
  const state = p.context.stateDir;
  const out: string[] = [
    `Policy from ${p.source === "default" ? "built-in defaults" : p.source}, for ${target}`,
    `  working directory ${p.context.cwd}, home ${p.context.home}`,
  ];
  out.push(
    `  srt's state directory ${state}${target === "linux" ? " (run directories, placeholder registry; hidden in every sandbox)" : ""}`,
    "",
  );
  if (p.filesystem.disabled !== undefined)
    out.push(
      `!! NO FILE-SYSTEM RULES (filesystem.disabled): every file the user can reach is readable and writable, with no mandatory protections; only / itself and the system program directories (${systemProgramDirs.join(" ")}) stay read-only, because srt runs its host programs from there  ← ${p.filesystem.disabled}`,
      "",
    );
  out.push("Reading: allowed everywhere, except", ...orNone(fsLines(fs, "read", "deny", undefined)));
  const reAllowed = fsLines(fs, "read", "allow", undefined);
  if (reAllowed.length > 0) out.push("  but readable again inside those:", ...reAllowed);
  out.push(
    "",
    "Writing: only in",
    ...fsLines(fs, "write", "allow", undefined),
    "    ✓ a private temp directory, new for each run ($TMPDIR)  ← default:tmpdir",
  );
  const around = fs.find(
    (r): r is PathRule => r.kind === "path" && r.access === "write" && r.effect === "allow" && isWithin(state, r.path),
  );
  if (target === "linux" && around !== undefined) {
    out.push(
      `    ✗ ${JSON.stringify(state)} srt's state directory, although inside ${JSON.stringify(around.path)}: hidden (an empty read-only directory) in every sandbox  ← default:state-dir`,
    );
  }
  const presets = [...new Set(fs.flatMap((r) => (r.origin.startsWith("preset:") ? [r.origin.slice(7)] : [])))];
  for (const name of presets) {
    const absent = fs.filter(
      (r): r is PathRule =>
        r.kind === "path" && r.origin === `preset:${name}` && r.effect === "allow" && r.node === "absent",
    );
    out.push(
      `    (preset:${name}: ${presetTable[name as PresetName]?.description ?? name}${absent.length > 0 ? `; srt creates ${absent.map((r) => quotePath(r.path)).join(", ")} when a run starts, the only directories srt creates for you` : ""})`,
    );
  }
  out.push("  never, even inside those (settings):", ...orNone(fsLines(fs, "write", "deny", false)));
  const mandatory = fs.filter((r) => r.origin.startsWith("mandatory:"));
  out.push(
    `  never, whatever the settings say (mandatory, ${mandatory.length} path${mandatory.length === 1 ? "" : "s"}):`,
  );
  for (const [name, why] of [...Object.entries(mandatoryReasons), ["unlistable", unlistableReason] as const]) {
    const hits = mandatory.filter((r) => r.origin === `mandatory:${name}`);
    if (hits.length === 0) continue;
    out.push(
      `    mandatory:${name} — ${why}`,
      ...hits.map(
        (r) =>
          `      ✗ ${quotePath(r.kind === "path" ? r.path : r.pattern)}${r.kind === "path" ? ` [${node(r)}]` : ""}`,
      ),
    );
  }
  if (p.options.allowGitConfig.value)
    out.push(
      `    a repository's own config (.git/config, config.worktree) stays writable  ← ${p.options.allowGitConfig.origin}`,
    );
  const depth = p.options.mandatoryDenySearchDepth;
  out.push(
    `  (searched ${depth.value === "unlimited" ? "at any depth" : `${depth.value} level${depth.value === 1 ? "" : "s"} deep`} below each writable directory  ← ${depth.origin})`,
  );

  const n = p.network;
  const allows = n.rules.filter((r) => r.effect === "allow");
  const denies = n.rules.filter((r) => r.effect === "deny");
  out.push(
    "",
    "Network: nothing is reachable except, through srt's proxies,",
    ...orNone(allows.map((r) => line("✓", netText(r), r.origin))),
  );
  if (denies.length > 0)
    out.push("  always refused (checked first):", ...denies.map((r) => line("✗", netText(r), r.origin)));
  for (const r of allows.filter((a) => a.host.kind === "name" && a.host.name === "localhost"))
    out.push(
      line(
        "✓",
        `localhost${r.port === undefined ? "" : `:${r.port}`} is the host's loopback (127.0.0.1, ::1), never looked up`,
        r.origin,
      ),
    );
  out.push(
    "  other names that resolve to loopback, link-local or cloud-metadata addresses are refused unless allowed by address",
  );
  if (n.strictAllowlist !== undefined)
    out.push(
      `  strictAllowlist: ${n.strictAllowlist.value ? "a library ask callback is never consulted for unlisted hosts" : "false: a library ask callback (if given) is asked about unlisted hosts"}  ← ${n.strictAllowlist.origin}`,
    );
  if (n.machLookup !== undefined)
    out.push(
      `  Mach services also allowed${target === "linux" ? " (macOS only: no effect on Linux)" : ""}: ${n.machLookup.names.join(", ")}  ← ${n.machLookup.origin}`,
    );
  for (const a of n.deniedResolvedAddresses) out.push(line("✗", `resolved address in ${a.cidr}`, a.origin));
  if (n.mitmProxy)
    out.push(
      `  routed through the MITM proxy at ${n.mitmProxy.socketPath}: ${n.mitmProxy.domains.map(netText).join("; ")}  ← ${n.mitmProxy.origin}`,
    );
  if (n.parentProxy) {
    const pp = n.parentProxy;
    // Never the URL as written: it may hold user:password.
    const shown = (u: UpstreamProxy): string =>
      `${u.scheme}://${u.host.includes(":") ? `[${u.host}]` : u.host}:${u.port}${u.credentials ? " (with credentials)" : ""}  ← ${u.origin}`;
    out.push("  allowed traffic leaves through an upstream proxy (srt decides first; the upstream resolves names):");
    if (pp.http) out.push(`    plain HTTP: ${shown(pp.http)}`);
    else out.push("    plain HTTP: dialled directly (no upstream for http)");
    if (pp.https) out.push(`    CONNECT and SOCKS: ${shown(pp.https)}`);
    const np = pp.noProxy;
    out.push(
      `    directly instead: loopback${np.all ? ", every host (*)" : ""}${np.suffixes.map((x) => `, *.${x} and ${x}`).join("")}${np.cidrs.map((c) => `, ${c}`).join("")}  ← ${np.origin}`,
      "    the resolved-address check above applies to direct dials only",
    );
  }
  out.push(...tlsAndMaskLines(n, netText, target));
  out.push(...requestFilterLines(n));
  if (n.httpProxyPort !== undefined || n.socksProxyPort !== undefined)
    out.push(`  external proxies: http ${n.httpProxyPort ?? "srt's own"}, socks ${n.socksProxyPort ?? "srt's own"}`);
  out.push(
    `  unix sockets: ${n.allowAllUnixSockets.value ? "all allowed" : n.unixSockets.length > 0 ? n.unixSockets.map((s) => s.path).join(", ") + (target === "linux" ? " (connect only: srt's supervisor checks each path)" : "") : "none"}  ← ${n.allowAllUnixSockets.origin}`,
  );
  out.push(
    target === "linux"
      ? "  listening on localhost inside the sandbox: possible, in the sandbox's own network namespace (unreachable from the host; allowLocalBinding has no effect on Linux)"
      : `  listening on localhost inside the sandbox: ${n.allowLocalBinding.value ? "allowed" : "refused"}  ← ${n.allowLocalBinding.origin}`,
  );

  const env = applyEnvPolicy(p.env, vars);
  out.push(
    "",
    `Environment: inherit ${p.env.inherit}${p.env.allow.length ? `, plus ${p.env.allow.join(" ")}` : ""}${p.env.deny.length ? `, never ${p.env.deny.join(" ")}` : ""}  ← ${p.env.origin}`,
  );
  const safe = p.env.gitSafeDirectories;
  if (safe !== undefined)
    out.push(
      `  plus git's safe.directory for ${safe.paths.map((d) => quotePath(d)).join(", ")} and the repositories below (GIT_CONFIG_* after the caller's own; grants no write)  ← ${safe.origin}`,
    );
  // Names only: values can be secrets, and explain output ends up in logs and issues.
  const names = (list: readonly string[]): string =>
    list.length ? ` (${list.slice(0, 24).join(" ")}${list.length > 24 ? ` … ${list.length - 24} more` : ""})` : "";
  const passed = Object.keys(env.passed);
  out.push(
    `  with the current environment: ${passed.length} passed${names(passed)}`,
    `    ${env.withheld.length} withheld${names(env.withheld)}`,
  );

  const o = p.options;
  out.push("", "Options:");
  out.push(
    `  enableWeakerNestedSandbox: ${o.enableWeakerNestedSandbox.value}${o.enableWeakerNestedSandbox.value ? " — WEAKER: the host's /proc is visible and the sandbox relies on the outer container for PID isolation" : ""}  ← ${o.enableWeakerNestedSandbox.origin}`,
  );
  out.push(
    `  allowNestedUserNamespaces: ${o.allowNestedUserNamespaces.value}${o.allowNestedUserNamespaces.value ? " — WEAKER: a nested user namespace can remount over denied paths" : ""}  ← ${o.allowNestedUserNamespaces.origin}`,
  );
  out.push(
    `  allowPty: ${o.allowPty.value}${target === "linux" ? " (no effect on Linux)" : ""}  ← ${o.allowPty.origin}`,
  );
  const apple = o.allowAppleEvents;
  if (apple !== undefined)
    out.push(
      `  allowAppleEvents: ${apple.value}${target === "linux" ? " (macOS only: no effect on Linux)" : apple.value ? " — WEAKER: commands can launch other applications, which run outside the sandbox" : ""}  ← ${apple.origin}`,
    );
  for (const [name, t] of Object.entries(p.hostTools ?? {}))
    out.push(
      `  ${name}: ${quotePath(t.path)}${target === "linux" ? ", used if it passes srt's trust checks for host programs (root-owned all the way)" : " (Linux only: no effect on macOS)"}  ← ${t.origin}`,
    );
  if (p.ignoreViolations.length > 0)
    out.push(
      "  violations not reported:",
      ...p.ignoreViolations.map((r) => line("·", `${r.command}: ${r.violations.join(", ")}`, r.origin)),
    );
  out.push(...explainPlatform(p, target));
  return out.join("\n") + "\n";
}

const orNone = (lines: string[]): string[] => (lines.length > 0 ? lines : ["    (nothing)"]);
