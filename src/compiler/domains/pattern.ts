/**
 * Domain patterns as written in allowedDomains / deniedDomains → canonical
 * HostPattern + optional port. Anything ambiguous is refused with a hint:
 * a pattern that silently matched more (or less) than it seems is a hole.
 */
import type { HostPattern } from "../ir.js";
import { ipv4Text, ipv6Text, parseIpv4Loose, parseIpv4Strict, parseIpv6 } from "./ip.js";
import { toAsciiHost } from "./punycode.js";

export type PatternResult =
  | { readonly ok: true; readonly host: HostPattern; readonly port?: number }
  | { readonly ok: false; readonly message: string; readonly hint?: string };

const fail = (message: string, hint?: string): PatternResult =>
  hint === undefined ? { ok: false, message } : { ok: false, message, hint };
const label = /^(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)$/;

export function parseHostPattern(text: string, list: "allow" | "deny"): PatternResult {
  if (text !== text.trim() || /\s/.test(text))
    return fail("contains whitespace", "write one host per entry, without spaces");
  if (text === "") return fail("is empty");
  if (text === "*")
    return list === "deny"
      ? { ok: true, host: { kind: "any" } }
      : fail("a bare * would allow every host", "list the hosts to allow; `*` is accepted in deniedDomains only");
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text);
  if (scheme)
    return fail(
      `has a scheme (${scheme[1]}://)`,
      `write just the host: "${text.slice(scheme[0].length).split("/")[0]}"`,
    );
  if (text.includes("/")) return fail("has a path", `a domain pattern names a host; write "${text.split("/")[0]}"`);
  if (text.includes("@")) return fail("has user information (@)", "write just the host");

  let hostText = text;
  let portText: string | undefined;
  if (text.startsWith("[")) {
    const m = /^\[([^\]]*)\](?::(.*))?$/.exec(text);
    if (!m) return fail("has an unclosed [", "write IPv6 addresses as [2001:db8::1] or [2001:db8::1]:443");
    const groups = parseIpv6(m[1]!);
    if (!groups) return fail(`"${m[1]}" is not an IPv6 address`);
    const port = m[2] === undefined ? undefined : parsePort(m[2]);
    if (port === null) return fail(`port "${m[2]}" is not a number from 1 to 65535`);
    return withPort({ kind: "ipv6", address: ipv6Text(groups) }, port);
  }
  const colons = text.split(":").length - 1;
  if (colons > 1) return fail("looks like an IPv6 address without brackets", `write [${text}]`);
  if (colons === 1) [hostText, portText] = text.split(":") as [string, string];
  const port = portText === undefined ? undefined : parsePort(portText);
  if (port === null) return fail(`port "${portText}" is not a number from 1 to 65535`);
  // "*:22": one port on every host (the reference tool's way to block SSH). Like a bare *, deny list only.
  if (hostText === "*")
    return list === "deny"
      ? withPort({ kind: "any" }, port)
      : fail(`${text} would allow every host`, "list the hosts to allow; `*:PORT` is accepted in deniedDomains only");

  const v4 = parseIpv4Strict(hostText);
  if (v4) return withPort({ kind: "ipv4", address: ipv4Text(v4) }, port);
  // Shorthand (127.1, 0x7f.0.0.1, 2130706433) is what a resolver accepts, but a
  // policy should say plainly which address it means: refuse and name it.
  const loose = parseIpv4Loose(hostText.toLowerCase());
  if (loose) return fail("is an IPv4 address in shorthand form", `write it as a dotted quad: ${ipv4Text(loose)}`);
  if (/^[0-9.]+$/.test(hostText))
    return fail("is not a valid IPv4 address", "write four decimal numbers 0–255, e.g. 192.0.2.1");

  let name = hostText.endsWith(".") ? hostText.slice(0, -1) : hostText;
  let wildcard = false;
  if (name.startsWith("*.")) {
    wildcard = true;
    name = name.slice(2);
  }
  if (name.includes("*"))
    return fail(
      "has a wildcard that is not the whole leftmost label",
      "write *.example.com (subdomains of example.com)",
    );
  name = toAsciiHost(name.toLowerCase());
  const labels = name.split(".");
  if (name.length > 253) return fail("is longer than 253 characters");
  const bad = labels.find((l) => !label.test(l));
  if (bad !== undefined) return fail(badLabel(bad), "host names use letters, digits and hyphens, 1–63 per label");
  if (wildcard) {
    if (labels.length < 2)
      return fail(`*.${name} would match every host under a top-level domain`, `name the domain: *.example.${name}`);
    if (registrySuffix(labels))
      return fail(`*.${name} would match every domain registered under ${name}`, `name the domain: *.example.${name}`);
    if (parseIpv4Strict(name)) return fail("a wildcard cannot cover IP addresses", "list the addresses");
    return withPort({ kind: "subdomains", name }, port);
  }
  if (/^\d+$/.test(labels[labels.length - 1]!))
    return fail("ends in a numeric label, so it is neither a host name nor an IPv4 address");
  return withPort({ kind: "name", name }, port);
}

const badLabel = (l: string): string =>
  l === ""
    ? "has an empty label (..)"
    : l.length > 63
      ? `has a label longer than 63 characters ("${l.slice(0, 20)}…")`
      : `has an invalid label "${l}"`;

/**
 * Second-level registry suffixes (co.uk, com.au, ne.jp…): a wildcard over one
 * matches unrelated registrants just like *.com would. Without a public suffix
 * list we recognise the common pattern: a generic second level under a
 * two-letter country code.
 */
const genericSecondLevel = new Set([
  "ac",
  "co",
  "com",
  "edu",
  "gob",
  "go",
  "gov",
  "mil",
  "ne",
  "net",
  "nic",
  "or",
  "org",
]);
const registrySuffix = (labels: readonly string[]): boolean =>
  labels.length === 2 && genericSecondLevel.has(labels[0]!) && /^[a-z]{2}$/.test(labels[1]!);

function parsePort(text: string): number | undefined | null {
  if (!/^\d{1,5}$/.test(text)) return null;
  const n = Number(text);
  return n >= 1 && n <= 65535 ? n : null;
}

const withPort = (host: HostPattern, port: number | undefined): PatternResult =>
  port === undefined ? { ok: true, host } : { ok: true, host, port };
