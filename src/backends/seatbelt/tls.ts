/**
 * network.tlsTerminate on macOS: the command must read srt's CA certificate
 * and trust bundle (the trust variables name them), which srt writes for each
 * run into the run directory, beside (not inside) the private temp dir. The
 * profile allows reading exactly those two files, whatever the read denies
 * say about the temp directory around them, and denies writing them, whatever
 * an allowWrite root says: the command trusts what srt wrote, nothing it could
 * have put there itself. The CA's private key is never on disk, so no rule
 * names it.
 *
 * Limit: a directory *above* the files inside an allowWrite root could still
 * be renamed (their path is only known at run time, so no ancestor rule is
 * spelled). The command could then point its own variables at a bundle of its
 * own, which changes only what the command itself trusts: srt's proxy never
 * trusts its CA for upstream servers.
 */
import type { Policy } from "../../compiler/ir.js";
import { messageOf } from "./message.js";
import { seatbeltParams } from "./params.js";
import { blank, comment, literal, param, rule, type Item } from "./sbpl.js";

const files = () => [literal(param(seatbeltParams.tlsCa)), literal(param(seatbeltParams.tlsBundle))];

/** After every read rule: the CA files are readable. */
export function lowerTlsReads(policy: Policy, tag: string): Item[] {
  const t = policy.network.tlsTerminate;
  if (t === undefined) return [];
  return [
    comment(
      `${t.origin}: read srt's CA certificate and trust bundle for this run (-D ${seatbeltParams.tlsCa}, -D ${seatbeltParams.tlsBundle}); its key is never on disk`,
    ),
    rule("allow", ["file-read*"], messageOf(tag, t.origin), files()),
    blank,
  ];
}

/** After every write rule: the CA files are srt's, never the command's to change. */
export function lowerTlsWrites(policy: Policy, tag: string): Item[] {
  const t = policy.network.tlsTerminate;
  if (t === undefined) return [];
  return [
    comment(`${t.origin}: srt's CA certificate and trust bundle are not the command's to change or replace`),
    rule("deny", ["file-write*"], messageOf(tag, t.origin), files()),
    blank,
  ];
}
