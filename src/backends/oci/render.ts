/**
 * The OCI artifact as a reviewable text (goldens, `srt compile --emit oci`):
 * config.json as runc gets it, except that each mount keeps its reason and
 * the run's own values are shown as <tmp>, <void>, <bundle>/skeleton/N; then
 * the skeletons the runtime creates, the mounts dropped when their source is
 * missing, and what the policy cannot mean here.
 */
import type { OciArtifact, OciSource } from "./lower.js";

export const shownSource = (s: OciSource): string =>
  typeof s === "string" ? s : "slot" in s ? `<${s.slot}>` : `<bundle>/skeleton/${s.skeleton}`;

export function renderOci(a: OciArtifact): string {
  const config = {
    ...a.config,
    mounts: a.config.mounts.map((m) => ({
      destination: typeof m.destination === "string" ? m.destination : `<${m.destination.slot}>`,
      type: m.type,
      source: shownSource(m.source),
      options: m.options,
      why: m.why,
      ...(m.optional ? { optional: true } : {}),
    })),
  };
  const skeletons = a.skeletons.map((s, i) => ({
    skeleton: i === 0 ? "<bundle>/rootfs" : `<bundle>/skeleton/${i}`,
    covers: s.covers,
    entries: s.entries.map((e) =>
      typeof e.path === "string"
        ? `${e.kind} ${e.path}${e.kind === "symlink" ? ` -> ${e.target}` : ""}`
        : `${e.kind} <${e.path.slot}>`,
    ),
  }));
  const doc = {
    config,
    skeletons,
    placeholders: a.mounts.placeholders,
    detachable: a.mounts.detachable,
    notes: a.notes,
    weakened: a.weakened,
  };
  return compactJson(doc, "") + "\n";
}

/** JSON with every flat value (scalars, and objects or arrays of only those and flat arrays) on one line: a mount, a seccomp rule. */
function compactJson(v: unknown, indent: string): string {
  if (isFlat(v)) return JSON.stringify(v).replace(/":/g, '": ').replace(/,"/g, ', "');
  const inner = indent + "  ";
  if (Array.isArray(v)) return `[\n${v.map((x) => inner + compactJson(x, inner)).join(",\n")}\n${indent}]`;
  const entries = Object.entries(v as Record<string, unknown>);
  return `{\n${entries.map(([k, x]) => `${inner}${JSON.stringify(k)}: ${compactJson(x, inner)}`).join(",\n")}\n${indent}}`;
}

const isScalar = (v: unknown): boolean => v === null || typeof v !== "object";
const isFlat = (v: unknown): boolean =>
  isScalar(v) ||
  (Array.isArray(v) && v.every((x) => isScalar(x) || (isFlatObject(x) && v.length <= 1))) ||
  isFlatObject(v);
const isFlatObject = (v: unknown): boolean =>
  typeof v === "object" &&
  v !== null &&
  Object.values(v).every(
    (x) => isScalar(x) || (Array.isArray(x) && x.every((y) => isScalar(y) || (isFlatObject(y) && x.length <= 4))),
  );
