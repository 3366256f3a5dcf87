/**
 * The one-line report printed at exit: the store's summary with the policy's
 * ignoreViolations applied for this command.
 */
import type { IgnoreRule } from "../../compiler/ir.js";
import { compileIgnoreFilter } from "./ignore.js";
import type { ViolationStore } from "./violations.js";

export function reportLine(
  store: ViolationStore,
  ignore: readonly IgnoreRule[],
  command: readonly string[],
): string | undefined {
  return store.summaryLine(compileIgnoreFilter(ignore, command));
}
