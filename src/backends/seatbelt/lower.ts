/**
 * IR → Seatbelt profile (`sandbox-exec -f profile.sb`), pure: the same Policy
 * and options always give the same bytes. Run-time values that are not
 * known when a plan is compiled come in as `(param …)`, supplied with
 * `sandbox-exec -D NAME=VALUE`; a missing parameter makes the profile fail
 * to load, so the command never runs half-sandboxed.
 */
import type { Policy } from "../../compiler/ir.js";
import { groupEntries, orderEntries } from "./entries.js";
import { lowerEssentials } from "./essentials.js";
import { lowerAncestors } from "./ancestors.js";
import { globSubtree, lowerFilesystem } from "./filesystem.js";
import { lowerMandatoryNames } from "./mandatory-regex.js";
import { messageOf } from "./message.js";
import { lowerNetwork, type ProxyPorts } from "./network.js";
import { paramsOf, seatbeltParams } from "./params.js";
import { blank, comment, param, rule, subpath, version, type Item, type SeatbeltProfile } from "./sbpl.js";
import { lowerTlsReads, lowerTlsWrites } from "./tls.js";
import { writableRoots } from "./writable.js";

export interface SeatbeltOptions {
  /** Loopback ports of srt's HTTP and SOCKS proxies for this run. */
  readonly proxy: ProxyPorts;
  /** First word of every `(with message …)`; the runtime picks one per session to find its denials in the log. Default "srt". */
  readonly tag?: string;
}

/** The profile as items; renderSeatbelt prints it. */
export function lowerSeatbelt(policy: Policy, opts: SeatbeltOptions): SeatbeltProfile {
  const tag = opts.tag ?? "srt";
  const roots = writableRoots(policy);
  const ordered = orderEntries([
    ...lowerFilesystem(policy, roots),
    ...lowerMandatoryNames(policy, roots),
    ...lowerAncestors(policy, roots),
  ]);
  const reads = ordered.filter((e) => e.phase < 20);
  const writes = ordered.filter((e) => e.phase >= 20);
  const unexpressed = policy.filesystem.rules.flatMap((r) =>
    r.kind === "glob" && r.effect === "allow" && !globSubtree(r.pattern).exact
      ? [
          comment(
            `${r.origin}: allow ${r.access} glob ${r.pattern} has a class Seatbelt cannot spell exactly; only its ${r.matches} expanded match(es) are allowed`,
          ),
        ]
      : [],
  );
  const items: Item[] = [
    ...header(policy),
    version,
    comment("default:deny: anything not allowed below is denied and logged with this tag"),
    rule("deny", ["default"], messageOf(tag, "default:deny")),
    blank,
    comment("==== essentials ===="),
    ...lowerEssentials(policy, tag),
    comment("==== reads: everything, minus denyRead, plus allowRead carve-outs (deeper rules come later and win) ===="),
    comment("default:read: reading is allowed unless a rule below denies it"),
    rule("allow", ["file-read*"], messageOf(tag, "default:read")),
    blank,
    ...groupEntries(tag, reads),
    ...lowerTlsReads(policy, tag),
    comment("==== writes: only the private temp dir and allowWrite roots, minus denyWrite and mandatory denies ===="),
    comment(
      `default:private-tmp: the per-run temp dir, passed at run time as -D ${seatbeltParams.privateTmp}=<real path>`,
    ),
    rule("allow", ["file-write*"], messageOf(tag, "default:private-tmp"), [subpath(param(seatbeltParams.privateTmp))]),
    blank,
    ...unexpressed,
    ...groupEntries(tag, writes),
    ...lowerTlsWrites(policy, tag),
    comment("==== network: only srt's proxies ===="),
    ...lowerNetwork(policy, opts.proxy, tag),
  ];
  return trimTrailingBlank(items);
}

const paramMeaning = {
  [seatbeltParams.privateTmp]: "private temp dir",
  [seatbeltParams.tlsCa]: "srt's CA certificate",
  [seatbeltParams.tlsBundle]: "srt's trust bundle",
} as const;

function header(policy: Policy): Item[] {
  return [
    comment("srt Seatbelt profile, generated from the policy IR; do not edit (recompile instead)."),
    comment(`policy: ${policy.source} (cwd ${policy.context.cwd}, home ${policy.context.home})`),
    comment(
      `run: sandbox-exec ${paramsOf(policy)
        .map((p) => `-D ${p}=<${paramMeaning[p]}> `)
        .join("")}-f <this file> -- <command>`,
    ),
    comment(""),
    comment("Seatbelt applies the LAST rule that matches an operation, so order is meaning:"),
    comment("essentials, then reads (allow all; denies and re-allows by path depth; glob denies last),"),
    comment("then writes (temp dir and allowWrite; denies by depth; glob and mandatory denies at any"),
    comment("depth; no renaming a directory above a denied path), then network (proxies only)."),
    comment('Each rule carries (with message "<tag> <origin>") so a denial in `log stream` names the'),
    comment("settings entry (JSON pointer), mandatory:<rule> or default:<what> behind it; the comment"),
    comment("above each rule repeats that origin."),
    blank,
  ];
}

function trimTrailingBlank(items: Item[]): Item[] {
  const out = [...items];
  while (out.length > 0 && out[out.length - 1]!.kind === "blank") out.pop();
  return out;
}
