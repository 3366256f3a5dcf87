/**
 * Whether a value read back as a Linux plan (a plan file for `srt exec`, a
 * plan object handed to createSandbox) has everything this runtime enforces.
 * A plan written by an older srt lacks later fields (the mounts to watch,
 * what the command can write, whether a PID namespace ends its leftovers):
 * running it would silently skip those protections, so it is refused with the
 * advice to recompile. Pure: the caller checks what depends on its machine
 * (architecture, state directory).
 */
import type { LinuxPlan } from "./plan.js";

/** undefined when the value is a complete plan of this srt's format, else why not. */
export function linuxPlanProblem(value: unknown): string | undefined {
  const p = value as Partial<LinuxPlan> | null;
  if (p === null || typeof p !== "object" || p.kind !== "srt-plan")
    return "not an srt plan (make one with `srt compile --target linux F -o plan.json`)";
  if (p.version !== 1) return `plan version ${String(p.version)} is not supported by this srt`;
  if (p.target !== "linux") return `plan is for ${String(p.target)}, this runtime runs linux plans`;
  const complete =
    Array.isArray(p.bwrap) &&
    typeof p.seccomp?.base64 === "string" &&
    typeof p.chdir === "string" &&
    typeof p.pidNamespace === "boolean" &&
    Array.isArray(p.placeholders) &&
    Array.isArray(p.detachable) &&
    p.network !== undefined &&
    p.env !== undefined &&
    typeof p.limits?.bestEffort?.value === "boolean" &&
    isSupervisor(p.supervisor) &&
    isHostWrites(p.hostWrites) &&
    (p.hostTools === undefined || isHostTools(p.hostTools));
  return complete ? undefined : "plan is incomplete or damaged; recompile it";
}

const isHostTools = (v: unknown): boolean =>
  typeof v === "object" &&
  v !== null &&
  Object.entries(v).every(
    ([k, t]) =>
      (k === "bwrap" || k === "socat") &&
      typeof (t as { path?: unknown } | null)?.path === "string" &&
      (t as { path: string }).path.startsWith("/"),
  );

const isHostWrites = (v: unknown): v is LinuxPlan["hostWrites"] => {
  const w = v as Partial<LinuxPlan["hostWrites"]> | undefined;
  const paths = (a: unknown): boolean => Array.isArray(a) && a.every((x) => typeof x === "string");
  return typeof w === "object" && w !== null && paths(w.roots) && paths(w.except);
};

const isSupervisor = (v: unknown): v is LinuxPlan["supervisor"] => {
  const s = v as Partial<LinuxPlan["supervisor"]> | undefined;
  return (
    typeof s === "object" &&
    s !== null &&
    Array.isArray(s.names) &&
    Array.isArray(s.gitDirNames) &&
    Array.isArray(s.paths) &&
    Array.isArray(s.roots) &&
    s.roots.every((r) => typeof r === "string") &&
    (s.unixSockets === undefined || Array.isArray(s.unixSockets))
  );
};
