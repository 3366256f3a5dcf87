/**
 * A toy Seatbelt evaluator for file operations, for tests only: reads a
 * profile with parseSbpl and answers "allow"/"deny" for one operation on one
 * path the way Seatbelt does — the last rule whose operation and filters
 * match decides. Non-path filters (mach, network, targets) never match a
 * file query. It is a model of the semantics we rely on, not of macOS.
 */
import { parseSbpl, type SExpr } from "../../src/backends/seatbelt/index.js";

export type Verdict = "allow" | "deny";
export type FileOp =
  "file-read-data" | "file-read-metadata" | "file-write-data" | "file-write-create" | "file-write-unlink";

interface CompiledRule {
  readonly action: Verdict;
  readonly ops: readonly string[];
  readonly filters: readonly SExpr[];
}

const opMatches = (ruleOp: string, op: FileOp): boolean =>
  ruleOp === "default" || ruleOp === op || (ruleOp.endsWith("*") && op.startsWith(ruleOp.slice(0, -1)));

const within = (path: string, root: string): boolean => path === root || root === "/" || path.startsWith(root + "/");

export function createEvaluator(profile: string, params: Readonly<Record<string, string>> = {}) {
  const { forms, problems } = parseSbpl(profile);
  if (problems.length > 0) throw new Error(`profile does not read: ${JSON.stringify(problems)}`);
  const rules: CompiledRule[] = [];
  for (const f of forms) {
    if (f.kind !== "list") continue;
    const [head, ...rest] = f.items;
    if (head?.kind !== "symbol" || (head.name !== "allow" && head.name !== "deny")) continue;
    const ops = rest.flatMap((a) => (a.kind === "symbol" ? [a.name] : []));
    const filters = rest.filter(
      (a) => a.kind === "list" && !(a.items[0]?.kind === "symbol" && a.items[0].name === "with"),
    );
    rules.push({ action: head.name, ops, filters });
  }
  const str = (e: SExpr | undefined): string => {
    if (e?.kind === "string") return e.value;
    if (
      e?.kind === "list" &&
      e.items[0]?.kind === "symbol" &&
      e.items[0].name === "param" &&
      e.items[1]?.kind === "string"
    ) {
      const v = params[e.items[1].value];
      if (v === undefined) throw new Error(`param ${e.items[1].value} not given`);
      return v;
    }
    throw new Error(`not a string expression: ${JSON.stringify(e)}`);
  };
  const filterMatches = (f: SExpr, path: string): boolean => {
    if (f.kind !== "list" || f.items[0]?.kind !== "symbol") return false;
    const arg = f.items[1];
    switch (f.items[0].name) {
      case "literal":
        return str(arg) === path;
      case "subpath":
        return within(path, str(arg));
      case "regex":
        return new RegExp(arg?.kind === "regex" ? arg.source : str(arg), "s").test(path);
      case "require-any":
        return f.items.slice(1).some((g) => filterMatches(g, path));
      default:
        return false;
    }
  };
  return (op: FileOp, path: string): Verdict => {
    let verdict: Verdict = "deny";
    for (const r of rules) {
      if (!r.ops.some((o) => opMatches(o, op))) continue;
      if (r.filters.length === 0 || r.filters.some((f) => filterMatches(f, path))) verdict = r.action;
    }
    return verdict;
  };
}
