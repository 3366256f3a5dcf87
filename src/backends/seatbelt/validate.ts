/**
 * Structural check of a Seatbelt profile. We cannot run sandbox-exec on
 * Linux, so every generated profile goes through this in tests: it reads,
 * it is balanced, it has `(version 1)` first, every rule names known
 * operations and filters with well-formed arguments, regexes compile and
 * are anchored, no atom is oversized, and (by default) every rule carries
 * `(with message …)` so its denials can be traced.
 */
import { parseSbpl, problemAt, type SbplProblem, type SbplProblemCode, type SExpr } from "./parse.js";
import {
  isFilterName,
  isOperation,
  maxAtomBytes,
  socketKinds,
  stringExpressions,
  targets,
  topLevelForms,
} from "./vocabulary.js";
import { compareStrings } from "../../compiler/compare.js";

const utf8Bytes = (s: string): number => new TextEncoder().encode(s).length;

export interface ValidateOptions {
  /** Require `(with message …)` on every allow/deny (srt's own profiles do). Default true. */
  readonly requireMessage?: boolean;
}

const head = (e: SExpr): string | undefined =>
  e.kind === "list" && e.items[0]?.kind === "symbol" ? e.items[0].name : undefined;
const describe = (e: SExpr | undefined): string =>
  e === undefined ? "nothing" : e.kind === "symbol" ? e.name : e.kind;

export function validateSbpl(text: string, opts: ValidateOptions = {}): SbplProblem[] {
  const { forms, problems } = parseSbpl(text);
  const report = (e: { offset: number }, code: SbplProblemCode, message: string): void =>
    void problems.push(problemAt(text, e.offset, code, message));

  const checkAtomSize = (e: SExpr): void => {
    const value = e.kind === "string" ? e.value : e.kind === "regex" ? e.source : undefined;
    if (value !== undefined && utf8Bytes(value) > maxAtomBytes)
      report(e, "too-long", `atom of ${utf8Bytes(value)} bytes (limit ${maxAtomBytes})`);
    if (e.kind === "list") e.items.forEach(checkAtomSize);
  };

  const isStringExpr = (e: SExpr | undefined): boolean => {
    if (e === undefined) return false;
    if (e.kind === "string") return true;
    const h = head(e);
    if (e.kind !== "list" || h === undefined || !(stringExpressions as readonly string[]).includes(h)) return false;
    const args = e.items.slice(1);
    return h === "param"
      ? args.length === 1 && args[0]!.kind === "string"
      : args.length > 0 && args.every(isStringExpr);
  };

  const checkRegex = (e: SExpr | undefined, where: SExpr): void => {
    const source = e?.kind === "regex" ? e.source : e?.kind === "string" ? e.value : undefined;
    if (source === undefined)
      return report(where, "bad-argument", `regex filter needs a regex literal, got ${describe(e)}`);
    if (!source.startsWith("^") || !source.endsWith("$"))
      report(e!, "bad-regex", `regex ${JSON.stringify(source)} is not anchored with ^…$`);
    try {
      new RegExp(source, "s");
    } catch (err) {
      report(e!, "bad-regex", `regex does not compile: ${err instanceof Error ? err.message : String(err)}`);
    }
  };

  const checkFilter = (f: SExpr): void => {
    const name = head(f);
    if (f.kind !== "list" || name === undefined)
      return report(f, "unknown-filter", `expected a filter, got ${describe(f)}`);
    if (!isFilterName(name)) return report(f, "unknown-filter", `unknown filter ${name}`);
    const args = f.items.slice(1);
    const one = (ok: (a: SExpr | undefined) => boolean, what: string): void => {
      if (args.length !== 1 || !ok(args[0])) report(f, "bad-argument", `${name} takes ${what}`);
    };
    switch (name) {
      case "literal":
      case "subpath":
      case "prefix":
      case "path":
      case "path-literal":
      case "global-name":
      case "global-name-prefix":
      case "local-name":
      case "ipc-posix-name":
      case "sysctl-name":
        return one(isStringExpr, "one string");
      case "regex":
      case "path-regex":
        if (args.length !== 1) return report(f, "bad-argument", `${name} takes one regex`);
        return checkRegex(args[0], f);
      case "target":
        return one(
          (a) => a?.kind === "symbol" && (targets as readonly string[]).includes(a.name),
          `one of ${targets.join(", ")}`,
        );
      case "vnode-type":
        return one((a) => a?.kind === "symbol", "one node type");
      case "remote":
      case "local": {
        const [kind, address, ...rest] = args;
        if (kind?.kind !== "symbol" || !(socketKinds as readonly string[]).includes(kind.name))
          return report(f, "bad-argument", `${name} needs one of ${socketKinds.join(", ")}`);
        if (rest.length > 0) return report(f, "bad-argument", `${name} takes at most a kind and an address`);
        if (address === undefined) return;
        if (kind.name === "unix-socket")
          return address.kind === "list"
            ? checkFilter(address)
            : report(address, "bad-argument", "a unix-socket address is a path filter");
        if (address.kind !== "string" || !/^(localhost|\*):(\*|[0-9]{1,5})$/.test(address.value))
          report(address, "bad-argument", `${name} ${kind.name} address must be "localhost:PORT" or "*:PORT"`);
        return;
      }
      case "require-any":
      case "require-all":
      case "require-not":
        if (args.length === 0 || (name === "require-not" && args.length !== 1))
          report(f, "bad-argument", `${name} needs ${name === "require-not" ? "one filter" : "filters"}`);
        return args.forEach(checkFilter);
    }
  };

  const checkRule = (form: SExpr & { kind: "list" }, action: string): void => {
    let ops = 0;
    let messages = 0;
    for (const a of form.items.slice(1)) {
      if (a.kind === "symbol") {
        if (isOperation(a.name)) ops++;
        else report(a, "unknown-operation", `unknown operation ${a.name}`);
      } else if (head(a) === "with") {
        const [, kind, ...rest] = (a as SExpr & { kind: "list" }).items;
        if (kind?.kind === "symbol" && kind.name === "message" && rest.length === 1 && rest[0]!.kind === "string")
          messages++;
        else if (kind?.kind === "symbol" && (kind.name === "report" || kind.name === "no-report") && rest.length === 0)
          continue;
        else report(a, "unknown-modifier", 'expected (with message "…"), (with report) or (with no-report)');
      } else {
        checkFilter(a);
      }
    }
    if (ops === 0) report(form, "empty-rule", `(${action} …) names no operation`);
    if (messages > 1) report(form, "unknown-modifier", "more than one (with message …)");
    if (messages === 0 && (opts.requireMessage ?? true))
      report(form, "missing-message", `(${action} …) carries no (with message …)`);
  };

  let versions = 0;
  forms.forEach((form, index) => {
    checkAtomSize(form);
    const name = head(form);
    if (form.kind !== "list" || name === undefined)
      return report(form, "not-a-form", `top level holds ${describe(form)}, not a form`);
    if (!(topLevelForms as readonly string[]).includes(name))
      return report(form, "unknown-form", `unknown top-level form ${name}`);
    if (name === "version") {
      versions++;
      const v = form.items[1];
      if (index !== 0 || form.items.length !== 2 || v?.kind !== "number" || v.value !== 1)
        report(form, "bad-version", "the profile must start with (version 1), once");
    } else if (name === "allow" || name === "deny") {
      checkRule(form, name);
    } else if (name === "import" && (form.items.length !== 2 || form.items[1]!.kind !== "string")) {
      report(form, "bad-argument", "import takes one file name");
    }
  });
  if (versions === 0) problems.push(problemAt(text, 0, "bad-version", "no (version 1)"));
  return problems.sort((a, b) => a.offset - b.offset || compareStrings(a.code, b.code));
}
