/**
 * The host's mount points, from /proc/self/mountinfo: what a read-only bind
 * must cover one by one on an engine without recursive read-only binds
 * (Docker before 25, podman 4; see src/backends/oci/docker-args.ts).
 */
import { isWithin } from "../../compiler/paths.js";

/** Field 5 of each line, its octal escapes (\040 for a space) decoded. */
export function mountPoints(mountinfo: string): string[] {
  const out: string[] = [];
  for (const line of mountinfo.split("\n")) {
    const field = line.split(" ")[4];
    if (field === undefined || field === "") continue;
    out.push(field.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))));
  }
  return out;
}

/** The mount points strictly below `path`, parents first, each once. */
export function submountsOf(points: readonly string[], path: string): string[] {
  const below = [...new Set(points.filter((p) => p !== path && isWithin(p, path)))];
  return below.sort((a, b) => a.split("/").length - b.split("/").length || (a < b ? -1 : a > b ? 1 : 0));
}
