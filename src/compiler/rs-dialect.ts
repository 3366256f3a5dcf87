/**
 * The macOS Rust port's dialect (light-magician/sandbox-runtime-rs 0.1.0):
 *   {"filesystem": {"allowed_paths": [...], "blocked_paths": [...]},
 *    "network": {"enabled": bool, "allowed_domains": [...]}}
 * read with that port's meaning. Its Seatbelt profile reads everything, writes
 * only allowed_paths (none when the list is absent), denies reading and
 * creating blocked_paths, and with `enabled` true lets traffic out only to
 * allowed_domains through its proxy (false or absent: no network at all).
 *
 * The keys are taken out before schema validation (every other key is still
 * validated, so an unknown snake_case key stays an error) and put back into
 * the view as srt's rules, each with the port's key as its origin. Writing a
 * port key next to srt's key for the same thing is refused: which one wins
 * would be a guess.
 */
import { describe } from "./validate.js";
import { diagnostic, type Diagnostic } from "./diagnostics.js";
import { pointerOf } from "./pointer.js";
import type { PathEntry } from "./settings.gen.js";
import type { Sourced, SettingsView } from "./view.js";

export const rsTool = "sandbox-runtime-rs 0.1.0";

export interface RsDialect {
  readonly allowedPaths?: readonly Sourced<PathEntry>[];
  readonly blockedPaths?: readonly Sourced<PathEntry>[];
  /** enabled true: allowed_domains (the port's filter); false or absent: none. */
  readonly allowedDomains: readonly Sourced<string>[];
  readonly used: boolean;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** srt's own keys each port key says the same thing as. */
const clashes: Record<string, readonly (readonly [string, string])[]> = {
  "filesystem.allowed_paths": [["filesystem", "allowWrite"]],
  "filesystem.blocked_paths": [
    ["filesystem", "denyRead"],
    ["filesystem", "denyWrite"],
  ],
  "network.enabled": [["network", "allowedDomains"]],
  "network.allowed_domains": [["network", "allowedDomains"]],
};

/** Takes the port's keys out of `value`; `rest` is what the schema validates. */
export function splitRsDialect(value: unknown): { rest: unknown; rs: RsDialect; diagnostics: Diagnostic[] } {
  const none: RsDialect = { allowedDomains: [], used: false };
  if (!isObj(value)) return { rest: value, rs: none, diagnostics: [] };
  const fs = isObj(value["filesystem"]) ? value["filesystem"] : undefined;
  const net = isObj(value["network"]) ? value["network"] : undefined;
  const has = (o: Obj | undefined, k: string): boolean => o !== undefined && Object.hasOwn(o, k);
  const found = [
    ...(["allowed_paths", "blocked_paths"] as const).filter((k) => has(fs, k)).map((k) => ["filesystem", k] as const),
    ...(["enabled", "allowed_domains"] as const).filter((k) => has(net, k)).map((k) => ["network", k] as const),
  ];
  if (found.length === 0) return { rest: value, rs: none, diagnostics: [] };

  const diagnostics: Diagnostic[] = [];
  const section = (s: string): Obj | undefined => (s === "filesystem" ? fs : net);
  for (const [s, k] of found) {
    for (const [cs, ck] of clashes[`${s}.${k}`] ?? []) {
      if (has(section(cs), ck))
        diagnostics.push(
          diagnostic("SRT137", pointerOf(s, k), { key: `${s}.${k}`, tool: rsTool, srtKey: `${cs}.${ck}` }),
        );
    }
  }
  const strings = (s: string, k: string): Sourced<string>[] | undefined => {
    const v = section(s)?.[k];
    if (!Array.isArray(v)) {
      diagnostics.push(
        diagnostic("SRT112", pointerOf(s, k), {
          kind: "type",
          pointer: pointerOf(s, k),
          expected: "an array of strings",
          actual: describe(v),
        }),
      );
      return undefined;
    }
    const out: Sourced<string>[] = [];
    v.forEach((e: unknown, i) => {
      if (typeof e === "string" && e !== "") out.push({ value: e, pointer: pointerOf(s, k, i) });
      else
        diagnostics.push(
          diagnostic("SRT112", pointerOf(s, k, i), {
            kind: "type",
            pointer: pointerOf(s, k, i),
            expected: "a non-empty string",
            actual: describe(e),
          }),
        );
    });
    return out;
  };
  const allowedPaths = has(fs, "allowed_paths") ? strings("filesystem", "allowed_paths") : undefined;
  const blockedPaths = has(fs, "blocked_paths") ? strings("filesystem", "blocked_paths") : undefined;
  // The port matches a pattern against absolute paths from the start, so "**/x" blocks x anywhere;
  // srt would read it below the working directory only: a weaker block. Refused, not guessed.
  for (const b of blockedPaths ?? [])
    if (!b.value.startsWith("/")) diagnostics.push(diagnostic("SRT138", b.pointer, { path: b.value, tool: rsTool }));
  const domains = has(net, "allowed_domains") ? strings("network", "allowed_domains") : undefined;
  const enabled = net?.["enabled"];
  if (has(net, "enabled") && typeof enabled !== "boolean")
    diagnostics.push(
      diagnostic("SRT112", "/network/enabled", {
        kind: "type",
        pointer: "/network/enabled",
        expected: "a boolean",
        actual: describe(enabled),
      }),
    );
  const on = enabled === true;

  for (const [s, k] of found) {
    const into =
      k === "allowed_paths"
        ? 'filesystem.allowWrite (only these paths are writable; a relative pattern such as "**" or "*.txt" is read below the working directory, where the port read it against every absolute path)'
        : k === "blocked_paths"
          ? "filesystem.denyRead and filesystem.denyWrite"
          : k === "allowed_domains"
            ? on
              ? "network.allowedDomains"
              : "nothing: network.enabled is not true, so there is no network and these domains are not used"
            : on
              ? "network access only to the allowed_domains entries, through srt's proxy"
              : "no network (srt's default)";
    diagnostics.push(diagnostic("SRT136", pointerOf(s, k), { key: `${s}.${k}`, tool: rsTool, into }));
  }

  const rest: Obj = { ...value };
  if (fs !== undefined) {
    const { allowed_paths: _a, blocked_paths: _b, ...f } = fs;
    rest["filesystem"] = f;
  }
  if (net !== undefined) {
    const { enabled: _e, allowed_domains: _d, ...n } = net;
    rest["network"] = n;
  }
  return {
    rest,
    rs: {
      ...(allowedPaths === undefined ? {} : { allowedPaths }),
      ...(blockedPaths === undefined ? {} : { blockedPaths }),
      allowedDomains: on ? (domains ?? []) : [],
      used: true,
    },
    diagnostics,
  };
}

/**
 * The view with the port's rules added. A file in the port's dialect without
 * srt's allowWrite writes only where allowed_paths says (nowhere when absent),
 * as under the port; srt's default of the working directory does not apply.
 */
export function withRsDialect(view: SettingsView, rs: RsDialect): SettingsView {
  if (!rs.used) return view;
  const fsUsed = rs.allowedPaths !== undefined || rs.blockedPaths !== undefined;
  const blocked = rs.blockedPaths ?? [];
  return {
    ...view,
    allowWrite: view.allowWrite ?? (fsUsed ? (rs.allowedPaths ?? []) : undefined),
    denyRead: [...view.denyRead, ...blocked],
    denyWrite: [...view.denyWrite, ...blocked],
    allowedDomains: [...view.allowedDomains, ...rs.allowedDomains],
  };
}
