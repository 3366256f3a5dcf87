/**
 * Which environment variables reach the sandboxed command. Secrets in the
 * environment (tokens, cloud keys) are readable by everything the command
 * starts, so `env.inherit: "core"` passes only what programs need to run.
 */
import type { EnvPolicy } from "./ir.js";

/** "core": enough for shells, locales and terminals; no credentials. */
export const coreEnv: readonly string[] = [
  "PATH",
  "HOME",
  "USER",
  "LOGNAME",
  "SHELL",
  "TERM",
  "COLORTERM",
  "NO_COLOR",
  "FORCE_COLOR",
  "LANG",
  "LANGUAGE",
  "LC_*",
  "TZ",
  "PWD",
  "TMPDIR",
];

const toRegExp = (pattern: string): RegExp =>
  new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replaceAll("*", ".*")}$`);
const anyOf = (patterns: readonly string[]): ((name: string) => boolean) => {
  const res = patterns.map(toRegExp);
  return (name) => res.some((r) => r.test(name));
};

export function applyEnvPolicy(
  policy: EnvPolicy,
  vars: Readonly<Record<string, string>>,
): { passed: Record<string, string>; withheld: string[] } {
  const inherited = policy.inherit === "all" ? () => true : policy.inherit === "core" ? anyOf(coreEnv) : () => false;
  const allowed = anyOf(policy.allow);
  const denied = anyOf(policy.deny);
  // No prototype: a variable named "__proto__" must be passed (or withheld) like any other.
  const passed = Object.create(null) as Record<string, string>;
  const withheld: string[] = [];
  for (const name of Object.keys(vars).sort()) {
    if (!denied(name) && (inherited(name) || allowed(name))) passed[name] = vars[name]!;
    else withheld.push(name);
  }
  if (policy.gitSafeDirectories !== undefined)
    Object.assign(passed, gitSafeDirectoryEnv(policy.gitSafeDirectories.paths, passed));
  return { passed, withheld };
}

/**
 * git.safeDirectories as git reads config from the environment: GIT_CONFIG_KEY_n/VALUE_n pairs
 * numbered after the ones the command already gets (GIT_CONFIG_COUNT), so the caller's own stay.
 * git compares safe.directory with a repository's top level exactly: each directory is given
 * as itself and as `DIR/*` (git ≥ 2.46), so repositories below it count too. A caller's explicit
 * GIT_CONFIG_COUNT=0 means "no git config from the environment" and is respected, as the
 * reference tool does.
 */
export function gitSafeDirectoryEnv(
  dirs: readonly string[],
  passed: Readonly<Record<string, string>>,
): Record<string, string> {
  const count = passed["GIT_CONFIG_COUNT"];
  if (dirs.length === 0 || count === "0") return {};
  const start = count !== undefined && /^\d{1,4}$/.test(count) ? Number(count) : 0;
  const out: Record<string, string> = {};
  let n = start;
  for (const d of dirs) {
    for (const value of [d, d === "/" ? "/*" : `${d}/*`]) {
      out[`GIT_CONFIG_KEY_${n}`] = "safe.directory";
      out[`GIT_CONFIG_VALUE_${n}`] = value;
      n++;
    }
  }
  out["GIT_CONFIG_COUNT"] = String(n);
  return out;
}
