/**
 * The `limits` settings key (and the seed's `docker.cpuLimit`/`docker.memoryLimit`)
 * → the IR's ResourceLimits. Sizes and durations may be written with units
 * ("256MiB", "30s"); they become bytes and milliseconds here, once, so every
 * backend reads plain numbers. Pure: what holds on a given host is the
 * runtime's question (src/runtime/linux/limits/).
 */
import { diagnostic, type Diagnostic } from "./diagnostics.js";
import type { LimitValue, Pointer, ResourceLimits } from "./ir.js";
import type { Sourced } from "./view.js";
import type { LimitsSettings } from "./settings.gen.js";

/** Powers of 1024 for every spelling (as docker's memory sizes): "1G" = "1GiB" = "1GB" = 2^30. */
const sizeUnits: Readonly<Record<string, number>> = { "": 1, b: 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };
const timeUnits: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export type Parsed = { readonly ok: true; readonly value: number } | { readonly ok: false; readonly reason: string };

/** Bytes from a whole number or "<n>[unit]" (the schema checked the shape); refused when zero or beyond 2^53. */
export function parseByteSize(v: number | string): Parsed {
  if (typeof v === "number") return whole(v, "bytes");
  const m = /^([0-9]+(?:\.[0-9]+)?) ?([bkmgt])?(?:i?b)?$/i.exec(v);
  if (!m) return { ok: false, reason: `"${v}" is not a size (e.g. 268435456, "256MiB", "1.5G")` };
  return whole(Math.floor(Number(m[1]) * sizeUnits[(m[2] ?? "").toLowerCase()]!), "bytes");
}

/** Milliseconds from a whole number or "<n>(ms|s|m|h)". */
export function parseDuration(v: number | string): Parsed {
  if (typeof v === "number") return whole(v, "ms");
  const m = /^([0-9]+(?:\.[0-9]+)?) ?(ms|s|m|h)$/.exec(v);
  if (!m) return { ok: false, reason: `"${v}" is not a duration (e.g. 30000, "30s", "5m")` };
  return whole(Math.floor(Number(m[1]) * timeUnits[m[2]!]!), "ms");
}

function whole(n: number, unit: string): Parsed {
  if (!Number.isSafeInteger(n)) return { ok: false, reason: `${n} ${unit} is beyond what srt can represent exactly` };
  if (n < 1) return { ok: false, reason: `it comes to ${n} ${unit}; a limit must be at least 1` };
  return { ok: true, value: n };
}

/** "256 MiB", "1.5 GiB", "300 bytes": how limits read in explain and in violation lines. */
export function formatBytes(n: number): string {
  for (const [unit, size] of [
    ["TiB", 2 ** 40],
    ["GiB", 2 ** 30],
    ["MiB", 2 ** 20],
    ["KiB", 2 ** 10],
  ] as const) {
    if (n >= size) return `${Number((n / size).toFixed(2))} ${unit}`;
  }
  return `${n} bytes`;
}

/** "30 s", "1.5 min", "250 ms". */
export function formatDuration(ms: number): string {
  if (ms >= 3_600_000 && ms % 60_000 === 0) return `${Number((ms / 3_600_000).toFixed(2))} h`;
  if (ms >= 60_000) return `${Number((ms / 60_000).toFixed(2))} min`;
  if (ms >= 1000) return `${Number((ms / 1000).toFixed(3))} s`;
  return `${ms} ms`;
}

interface DockerLimits {
  readonly cpuLimit?: unknown;
  readonly memoryLimit?: unknown;
}

/**
 * `limits` plus the seed's docker.cpuLimit (cores) and docker.memoryLimit ("512m"): the same
 * limit from both places is an error (SRT621) rather than a silent choice between them.
 */
export function normalizeLimits(
  limits: Sourced<LimitsSettings> | undefined,
  docker: Sourced<unknown> | undefined,
  diagnostics: Diagnostic[],
): ResourceLimits {
  const l = limits?.value ?? {};
  const at = (key: string): Pointer => `${limits?.pointer ?? "/limits"}/${key}`;
  const out: { -readonly [K in keyof ResourceLimits]?: ResourceLimits[K] } = {};
  const take = (
    key: "memory" | "pids" | "cpu" | "wallTime" | "fileSize" | "openFiles",
    value: number | string | undefined,
    origin: Pointer,
    parse: (v: number | string) => Parsed,
  ): void => {
    if (value === undefined) return;
    const r = parse(value);
    if (!r.ok) {
      diagnostics.push(diagnostic("SRT620", origin, { key, reason: r.reason }));
      return;
    }
    const existing = out[key];
    if (existing !== undefined) {
      diagnostics.push(diagnostic("SRT621", origin, { key, other: existing.origin }));
      return;
    }
    out[key] = { value: r.value, origin } satisfies LimitValue;
  };
  const count = (v: number | string): Parsed => (typeof v === "number" ? whole(v, "") : parseByteSize(v));
  take("memory", l.memory, at("memory"), parseByteSize);
  take("pids", l.pids, at("pids"), count);
  take("cpu", l.cpu, at("cpu"), cores);
  take("wallTime", l.wallTime, at("wallTime"), parseDuration);
  take("fileSize", l.fileSize, at("fileSize"), parseByteSize);
  take("openFiles", l.openFiles, at("openFiles"), count);
  const d = docker?.value as DockerLimits | undefined;
  if (docker !== undefined && d !== undefined) {
    // The schema typed them: cpuLimit a positive number, memoryLimit bytes or "<n>[bkmg]".
    if (typeof d.cpuLimit === "number") take("cpu", d.cpuLimit, `${docker.pointer}/cpuLimit`, cores);
    if (typeof d.memoryLimit === "number" || typeof d.memoryLimit === "string")
      take("memory", d.memoryLimit, `${docker.pointer}/memoryLimit`, parseByteSize);
  }
  return {
    ...out,
    bestEffort:
      l.bestEffort === undefined
        ? { value: false, origin: "default" }
        : { value: l.bestEffort, origin: at("bestEffort") },
  };
}

/** Cores as a positive number (fractions allowed; the schema bounds it). */
function cores(v: number | string): Parsed {
  return typeof v === "number" && v > 0 && Number.isFinite(v)
    ? { ok: true, value: v }
    : { ok: false, reason: `${String(v)} is not a positive number of cores` };
}
