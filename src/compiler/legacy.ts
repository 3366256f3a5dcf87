/**
 * The older permission-rule dialect:
 *   {"permissions": {"allow": ["WebFetch(domain:x)", "Edit(p)", "Read(p)"], "deny": [...]},
 *    "sandbox": {"network": {...}, ...}}
 * translated into the common view. Rule paths follow that dialect's conventions:
 * `//abs` is absolute, `/p` is relative to the settings file's directory, `~/p`
 * to home, anything else to the working directory.
 */
import { diagnostic, type Diagnostic } from "./diagnostics.js";
import { pointerOf } from "./pointer.js";
import type { Pointer } from "./ir.js";
import type { PathEntry, SrtSettings } from "./settings.gen.js";
import { scalarsOf, sourced, type Sourced, type SettingsView } from "./view.js";

/** Keys of the srt dialect that must not appear next to `permissions`/`sandbox`. */
const modernKeys = [
  "network",
  "filesystem",
  "ignoreViolations",
  "enableWeakerNestedSandbox",
  "allowNestedUserNamespaces",
  "mandatoryDenySearchDepth",
  "allowPty",
  "env",
] as const;

export const isLegacy = (s: SrtSettings): boolean => s.permissions !== undefined || s.sandbox !== undefined;

export function viewOfLegacy(
  s: SrtSettings,
  settingsDir: string | undefined,
): { view: SettingsView; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  for (const key of modernKeys) {
    if (s[key] !== undefined) {
      diagnostics.push(diagnostic("SRT113", pointerOf(key), { key }));
    }
  }
  const sb = s.sandbox ?? {};
  if (sb.enabled === false) {
    diagnostics.push(diagnostic("SRT122", pointerOf("sandbox", "enabled"), {}));
  }
  const lists = {
    denyRead: [] as Sourced<PathEntry>[],
    allowRead: [] as Sourced<PathEntry>[],
    allowWrite: [] as Sourced<PathEntry>[],
    denyWrite: [] as Sourced<PathEntry>[],
    allowedDomains: [] as Sourced<string>[],
    deniedDomains: [] as Sourced<string>[],
  };

  for (const effect of ["allow", "deny"] as const) {
    (s.permissions?.[effect] ?? []).forEach((rule, i) => {
      const pointer = pointerOf("permissions", effect, i);
      // A bare tool name ("Bash", "WebFetch", "mcp__github") is a valid rule of that dialect: the whole tool.
      const bare = /^\s*([A-Za-z][\w-]*)\s*$/.exec(rule)?.[1];
      if (bare !== undefined) {
        const d = bareRule(bare, effect, pointer, lists.deniedDomains);
        if (d) diagnostics.push(d);
        return;
      }
      const m = /^\s*([A-Za-z]+)\((.*)\)\s*$/s.exec(rule);
      if (!m) {
        diagnostics.push(diagnostic("SRT120", pointer, { kind: "syntax", rule }));
        return;
      }
      const [, tool = "", arg = ""] = m;
      if (tool === "WebFetch") {
        const d = /^domain:(.+)$/s.exec(arg);
        if (!d) return void diagnostics.push(diagnostic("SRT120", pointer, { kind: "webfetch", arg }));
        (effect === "allow" ? lists.allowedDomains : lists.deniedDomains).push({ value: d[1]!, pointer });
      } else if (tool === "Edit" || tool === "Write") {
        const p = legacyPath(arg, settingsDir);
        if (p === undefined) return void diagnostics.push(diagnostic("SRT120", pointer, { kind: "no-path", tool }));
        (effect === "allow" ? lists.allowWrite : lists.denyWrite).push({ value: p, pointer });
      } else if (tool === "Read") {
        const p = legacyPath(arg, settingsDir);
        if (p === undefined) return void diagnostics.push(diagnostic("SRT120", pointer, { kind: "no-path", tool }));
        (effect === "allow" ? lists.allowRead : lists.denyRead).push({ value: p, pointer });
      } else {
        diagnostics.push(diagnostic("SRT121", pointer, { tool, bare: false }));
      }
    });
  }
  const view: SettingsView = {
    dialect: "permissions",
    ...lists,
    // Edit allows and sandbox.filesystem.allowWrite add to the working directory (normalize keeps it).
    allowWrite:
      lists.allowWrite.length > 0 || sb.filesystem?.allowWrite !== undefined
        ? [...lists.allowWrite, ...fsList(sb.filesystem?.allowWrite, "allowWrite")]
        : undefined,
    denyRead: [...lists.denyRead, ...fsList(sb.filesystem?.denyRead, "denyRead")],
    allowRead: [...lists.allowRead, ...fsList(sb.filesystem?.allowRead, "allowRead")],
    denyWrite: [...lists.denyWrite, ...fsList(sb.filesystem?.denyWrite, "denyWrite")],
    allowedDomains: [...lists.allowedDomains, ...netList(sb.network?.allowedDomains, "allowedDomains")],
    deniedDomains: [...lists.deniedDomains, ...netList(sb.network?.deniedDomains, "deniedDomains")],
    network: sourced(sb.network, "sandbox", "network"),
    scalars: scalarsOf(sb, sb.filesystem?.allowGitConfig, ["sandbox"]),
    env: sourced(sb.env, "sandbox", "env"),
    ignoreViolations: sourced(sb.ignoreViolations, "sandbox", "ignoreViolations"),
    docker: sourced(s.docker, "docker"),
    credentials: sourced(s.credentials, "credentials"),
  };
  return { view, diagnostics };
}

/**
 * A rule naming a whole tool. Only a denied WebFetch has a sandbox meaning
 * (no host at all); allowing every host or every path is not something srt
 * does on a tool name's say-so, so those are errors, and other tools warn.
 */
function bareRule(
  tool: string,
  effect: "allow" | "deny",
  pointer: Pointer,
  deniedDomains: Sourced<string>[],
): Diagnostic | undefined {
  if (tool === "WebFetch" && effect === "deny") {
    deniedDomains.push({ value: "*", pointer });
    return undefined;
  }
  if (["WebFetch", "Edit", "Write", "Read"].includes(tool)) {
    return diagnostic("SRT120", pointer, { kind: "bare", tool, effect });
  }
  return diagnostic("SRT121", pointer, { tool, bare: true });
}

const fsList = (items: readonly PathEntry[] | undefined, key: string): Sourced<PathEntry>[] =>
  (items ?? []).map((value, i) => ({ value, pointer: pointerOf("sandbox", "filesystem", key, i) }));
const netList = (items: readonly string[] | undefined, key: string): Sourced<string>[] =>
  (items ?? []).map((value, i) => ({ value, pointer: pointerOf("sandbox", "network", key, i) }));

function legacyPath(arg: string, settingsDir: string | undefined): string | undefined {
  const p = arg.trim();
  if (p === "") return undefined;
  if (p.startsWith("//")) return p.slice(1);
  // "/p" is anchored at the settings file; without a file it can only mean the cwd.
  if (p.startsWith("/")) return settingsDir === undefined ? "." + p : `${settingsDir}${p}`;
  return p;
}
