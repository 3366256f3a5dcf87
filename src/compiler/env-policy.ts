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
  return { passed, withheld };
}
