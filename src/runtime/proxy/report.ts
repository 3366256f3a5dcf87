/**
 * The one-line report printed at exit: the store's summary with the policy's
 * ignoreViolations applied for this command.
 */
import type { IgnoreRule } from "../../compiler/ir.js";
import { compileIgnoreFilter } from "./ignore.js";
import type { ViolationStore } from "./violations.js";
import { inertHost } from "../untrusted-text.js";

export function reportLine(
  store: ViolationStore,
  ignore: readonly IgnoreRule[],
  command: readonly string[],
): string | undefined {
  return store.summaryLine(compileIgnoreFilter(ignore, command));
}

/**
 * The line after the report when hosts were refused only for not being listed (no rule decided:
 * the default deny): which setting would allow them, so the user does not have to guess why a tool
 * failed. Hosts are the command's text, escaped as in the report; at most three are named.
 */
export function allowHintLine(
  store: Pick<ViolationStore, "recent">,
  ignore: readonly IgnoreRule[],
  command: readonly string[],
): string | undefined {
  const ignored = compileIgnoreFilter(ignore, command);
  const hosts = [
    ...new Set(store.recent().flatMap((v) => (v.rule === undefined && v.host !== "" && !ignored(v) ? [v.host] : []))),
  ];
  if (hosts.length === 0) return undefined;
  const named = hosts.slice(0, 3).map((h) => inertHost(h.includes(":") ? `[${h}]` : h));
  const more = hosts.length > 3 ? ` and ${hosts.length - 3} more` : "";
  return `srt: to allow ${named.join(", ")}${more}: add ${named.length === 1 ? "it" : "them"} to network.allowedDomains in the settings, or run with ${named.map((h) => `--allow-domain ${h}`).join(" ")}`;
}
