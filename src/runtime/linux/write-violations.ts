/**
 * Refused writes, explained. The supervisor (supervisor.ts) reports each write it refused (a
 * protected name, a write-protected path), each creating call the mounts refused (EROFS:
 * outside every writable root) and each open for writing the mounts or Landlock refused. Here each becomes a violation a user can act on: the path, the
 * operation, the rule that refused it and where the rule came from, and the setting that would
 * allow it (or that nothing does: srt's mandatory protections). Pure: the caller stamps and
 * delivers them (the end-of-run summary, --violations, the library's violation feed).
 */
import type { SupervisorPlan } from "../../backends/bwrap/index.js";
import { gitConfigRules, mandatoryReasons, type MandatoryRule } from "../../compiler/protected-names.js";
import { inertText } from "../untrusted-text.js";
import type { WriteRefusal } from "./supervisor.js";

export interface WriteViolation {
  readonly kind: "filesystem-write";
  /** ISO 8601, when srt received it. */
  readonly time: string;
  /** As resolved inside the sandbox (the command's bytes: escape before printing). */
  readonly path: string;
  /** create, write (an existing file opened for writing), mkdir, mknod, rename, link, symlink, unlink, rmdir, chmod, bind (a unix socket's name); connect for a unix socket. */
  readonly operation: string;
  /** What the command's call got: EACCES (srt's supervisor), EROFS (a read-only mount), … */
  readonly errno: string;
  /** Origin of the deciding rule: `mandatory:<rule>`, a settings pointer, or `default:…`. */
  readonly rule: string;
  readonly reason: string;
  /** The setting that would allow it, or why none does. */
  readonly allowWith: string;
}

const below = (path: string, dir: string): boolean => path === dir || path.startsWith(dir === "/" ? "/" : `${dir}/`);

const parentOf = (path: string): string => path.slice(0, Math.max(1, path.lastIndexOf("/")));

export function explainRefusal(plan: SupervisorPlan, tmp: string, r: WriteRefusal, time: string): WriteViolation {
  const base = { kind: "filesystem-write", time, path: r.path, operation: r.operation, errno: r.errno } as const;
  if (r.operation === "connect")
    return {
      ...base,
      rule: plan.unixSockets?.[0]?.origin.replace(/\/\d+$/, "") ?? "default:network.allowUnixSockets",
      reason: "a unix socket allowUnixSockets does not list",
      allowWith: `network.allowUnixSockets: add "${r.path}"`,
    };
  if (r.rule.startsWith("mandatory:")) {
    const rule = r.rule.slice("mandatory:".length) as MandatoryRule;
    return {
      ...base,
      rule: r.rule,
      reason: `always write-protected: ${mandatoryReasons[rule] ?? "srt protects it"}`,
      allowWith: gitConfigRules.has(rule)
        ? "filesystem.allowGitConfig: true"
        : "none: srt always protects it (the host runs or obeys it later)",
    };
  }
  if (r.rule !== "")
    return {
      ...base,
      rule: r.rule,
      reason: "write-protected by the settings",
      allowWith: `remove the entry at ${r.rule}`,
    };
  // Refused by a mount: a write-protected path, or a place outside every writable root.
  const roots = [...plan.roots, tmp].filter((root) => below(r.path, root));
  const deny = plan.paths.filter((p) => below(r.path, p.path) && roots.some((root) => below(p.path, root)));
  const deepest = deny.sort((a, b) => b.path.length - a.path.length)[0];
  if (deepest !== undefined)
    return {
      ...base,
      rule: deepest.origin,
      reason: `${deepest.path} is write-protected`,
      allowWith: deepest.origin.startsWith("/")
        ? `remove the entry at ${deepest.origin}`
        : "none: srt always protects it (the host runs or obeys it later)",
    };
  if (roots.length === 0)
    return {
      ...base,
      rule: "default:filesystem.allowWrite",
      reason: "outside every writable directory (writes go only to allowWrite, the working directory and $TMPDIR)",
      allowWith: `filesystem.allowWrite: add "${parentOf(r.path)}"`,
    };
  return { ...base, rule: "unknown", reason: "a read-only mount below a writable directory", allowWith: "" };
}

/** `srt: refused 3 writes: "/w/.npmrc" (mandatory:tool-config) …`, or undefined when none. */
export function writeSummaryLine(vs: readonly WriteViolation[], dropped: number, max = 3): string | undefined {
  if (vs.length === 0) return undefined;
  const shown = vs.slice(0, max).map((v) => `${inertText(JSON.stringify(v.path))} (${v.operation}: ${v.rule})`);
  const more = vs.length + dropped - shown.length;
  const n = vs.length + dropped;
  const what = vs.every((v) => v.operation !== "connect") ? `write${n === 1 ? "" : "s"}` : "writes or connects";
  return `srt: refused ${n} ${what}: ${shown.join(", ")}${more > 0 ? `, and ${more} more` : ""} (--violations F lists each with the setting that would allow it)`;
}
