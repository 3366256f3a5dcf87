/**
 * `ignoreViolations` (settings → IR `IgnoreRule[]`): which refusals the end
 * report leaves out. Reporting only — the proxies refuse exactly the same.
 * Semantics follow the reference tool: the command pattern `*` applies to
 * every command, any other pattern applies when the command line contains it;
 * a violation pattern without `*` matches when the violation text contains
 * it, one with `*` (any run of characters) must match the whole `host`,
 * `host:port` or violation text.
 */
import type { IgnoreRule } from "../../compiler/ir.js";
import type { ViolationFilter } from "./violations.js";

/** The text violation patterns are matched against: `host:port reason`. */
export const violationText = (v: { readonly host: string; readonly port: number; readonly reason: string }): string =>
  `${targetText(v)} ${v.reason}`;

const targetText = (v: { readonly host: string; readonly port: number }): string =>
  `${v.host.includes(":") ? `[${v.host}]` : v.host}:${v.port}`;

function globRegex(pattern: string): RegExp {
  const body = pattern
    .split("*")
    .map((part) => part.replace(/[\\^$.|?+()[\]{}]/g, "\\$&"))
    .join(".*");
  return new RegExp(`^${body}$`, "s");
}

export function compileIgnoreFilter(rules: readonly IgnoreRule[], command: readonly string[]): ViolationFilter {
  const line = command.join(" ");
  const patterns = rules
    .filter((r) => r.command === "*" || (r.command !== "" && line.includes(r.command)))
    .flatMap((r) => r.violations);
  if (patterns.length === 0) return () => false;
  const checks = patterns.map((p): ((v: Parameters<ViolationFilter>[0]) => boolean) => {
    if (!p.includes("*")) return (v) => violationText(v).includes(p);
    const re = globRegex(p);
    return (v) => re.test(v.host) || re.test(targetText(v)) || re.test(violationText(v));
  });
  return (v) => checks.some((c) => c(v));
}
