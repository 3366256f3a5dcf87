/**
 * A tiny closed document model for SBPL profiles and the one printer that
 * renders it. Filters are made only by the builders below, which take paths
 * and names as data and leave quoting to escape.ts; nothing else in the
 * backend writes SBPL text (house style rule 7).
 */
import { commentText, quoteRegex, quoteString } from "./escape.js";
import type { SbRegex } from "./regex.js";
import type { FilterName, Operation, SocketKind, Target } from "./vocabulary.js";

declare const filterBrand: unique symbol;

type Expr =
  | { readonly kind: "symbol"; readonly name: string }
  | { readonly kind: "string"; readonly value: string }
  | { readonly kind: "regex"; readonly regex: SbRegex }
  | { readonly kind: "number"; readonly value: number }
  | { readonly kind: "list"; readonly items: readonly Expr[] };

/** A filter expression, e.g. `(subpath "/x")`; only the builders below make one. */
export type Filter = Expr & { readonly [filterBrand]: true };

/** A string-valued expression: a literal or a run-time parameter. */
export type StringArg = string | ParamRef;
export interface ParamRef {
  readonly kind: "param";
  readonly name: string;
}

export type Action = "allow" | "deny";

export interface Rule {
  readonly kind: "rule";
  readonly action: Action;
  readonly ops: readonly Operation[];
  /** `(with message …)`: the tag a denial carries into the unified log. */
  readonly message: string;
  readonly filters: readonly Filter[];
}

export type Item =
  | Rule
  | { readonly kind: "comment"; readonly text: string }
  | { readonly kind: "blank" }
  | { readonly kind: "version" };

const sym = (name: string): Expr => ({ kind: "symbol", name });
const str = (value: string): Expr => ({ kind: "string", value });
const list = (...items: Expr[]): Expr => ({ kind: "list", items });
const filter = (name: FilterName, ...args: Expr[]): Filter => list(sym(name), ...args) as Filter;
const arg = (a: StringArg): Expr => (typeof a === "string" ? str(a) : list(sym("param"), str(a.name)));

export const param = (name: string): ParamRef => ({ kind: "param", name });

export const literal = (path: StringArg): Filter => filter("literal", arg(path));
export const subpath = (path: StringArg): Filter => filter("subpath", arg(path));
export const regex = (r: SbRegex): Filter => filter("regex", { kind: "regex", regex: r });
export const globalName = (service: string): Filter => filter("global-name", str(service));
export const globalNamePrefix = (prefix: string): Filter => filter("global-name-prefix", str(prefix));
export const pathLiteral = (path: string): Filter => filter("path-literal", str(path));
export const target = (t: Target): Filter => filter("target", sym(t));
/** `(remote tcp "localhost:3128")`, `(remote unix-socket (path-literal "/x"))`, `(remote unix-socket)`. */
export const remote = (kind: SocketKind, address?: string | Filter): Filter =>
  address === undefined
    ? filter("remote", sym(kind))
    : filter("remote", sym(kind), typeof address === "string" ? str(address) : address);
export const local = (kind: SocketKind, address?: string | Filter): Filter =>
  address === undefined
    ? filter("local", sym(kind))
    : filter("local", sym(kind), typeof address === "string" ? str(address) : address);

export const rule = (
  action: Action,
  ops: readonly Operation[],
  message: string,
  filters: readonly Filter[] = [],
): Rule => ({ kind: "rule", action, ops, message, filters });
export const comment = (text: string): Item => ({ kind: "comment", text });
export const blank: Item = { kind: "blank" };
export const version: Item = { kind: "version" };

/** Width under which a rule with one filter stays on one line. */
const lineWidth = 100;

function printExpr(e: Expr): string {
  switch (e.kind) {
    case "symbol":
      return e.name;
    case "string":
      return quoteString(e.value);
    case "regex":
      return quoteRegex(e.regex.source);
    case "number":
      return String(e.value);
    case "list":
      return `(${e.items.map(printExpr).join(" ")})`;
  }
}

function printRule(r: Rule): string {
  const head = `(${r.action} ${r.ops.join(" ")} (with message ${quoteString(r.message)})`;
  const fs = r.filters.map(printExpr);
  if (fs.length === 0) return `${head})`;
  const oneLine = `${head} ${fs[0]!})`;
  if (fs.length === 1 && oneLine.length <= lineWidth) return oneLine;
  return `${head}\n${fs.map((f) => `  ${f}`).join("\n")})`;
}

/** The seatbelt backend's artifact: the profile as items, before it is printed. */
export type SeatbeltProfile = readonly Item[];

/** The profile text. Deterministic: the same items always print the same bytes. */
export function renderSeatbelt(items: SeatbeltProfile): string {
  const lines = items.map((item) => {
    switch (item.kind) {
      case "version":
        return "(version 1)";
      case "blank":
        return "";
      case "comment":
        return item.text === "" ? ";" : `; ${commentText(item.text)}`;
      case "rule":
        return printRule(item);
    }
  });
  return lines.join("\n") + "\n";
}
