/**
 * The host's mount points, from /proc/self/mountinfo: what a read-only bind
 * must cover one by one on an engine without recursive read-only binds
 * (Docker before 25, podman 4; see src/backends/oci/docker-args.ts), and the
 * container engines' own stores, which it must not (engineStores).
 */
import { compareStrings } from "../../compiler/compare.js";
import { isWithin } from "../../compiler/paths.js";

/** One line of /proc/self/mountinfo: where it is mounted and its file system's type. */
export interface MountLine {
  readonly point: string;
  readonly fstype: string;
}

/** Field 5 (the mount point, its octal escapes such as \040 decoded) and the type after the "-". */
export function mountLines(mountinfo: string): MountLine[] {
  const out: MountLine[] = [];
  for (const line of mountinfo.split("\n")) {
    const fields = line.split(" ");
    const point = fields[4];
    if (point === undefined || point === "") continue;
    const dash = fields.indexOf("-", 5);
    out.push({
      point: point.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))),
      fstype: dash < 0 ? "" : (fields[dash + 1] ?? ""),
    });
  }
  return out;
}

export const mountPoints = (mountinfo: string): string[] => mountLines(mountinfo).map((m) => m.point);

/** The mount points strictly below `path`, parents first, each once. */
export function submountsOf(points: readonly string[], path: string): string[] {
  const below = [...new Set(points.filter((p) => p !== path && isWithin(p, path)))];
  return below.sort((a, b) => a.split("/").length - b.split("/").length || (a < b ? -1 : a > b ? 1 : 0));
}

/** A container's id as engines name its directories (Docker, podman: 64 hex digits). */
const containerId = /^[0-9a-f]{32,}$/;

/**
 * The directories where container engines keep one entry per container, known by the mounts
 * they make there:
 *   - a container's root: `<store>/<id>/merged`, overlay or fuse-overlayfs, the store named
 *     `overlay2` (Docker) or `overlay` (podman);
 *   - a network namespace kept open: `<store>/<name>`, nsfs, the store named `netns`
 *     (Docker's exec root, /run/netns);
 *   - a container's /dev/shm: `<store>/<id>/mounts/shm` (Docker) or `<store>/<id>/userdata/shm`
 *     (podman), tmpfs; next to a root's store, that store (`containers`, `overlay-containers`)
 *     even before any such mount is there. The runner keeps only the stores that exist.
 *
 * These mounts come and go with other containers, so one listed when srt's container is created
 * may be gone when it starts ("error mounting … merged: no such file or directory"). Worse, an
 * engine's data root is a shared mount that Docker binds `rslave` into a container whose bind
 * holds it: another container started during the run arrives below a read-only bind, read-write.
 * So the runner binds none of them and hides each store behind an empty read-only directory
 * (src/backends/oci/docker-args.ts), which also covers what arrives there later.
 */
export function engineStores(mountinfo: string): string[] {
  const stores = new Set<string>();
  for (const { point, fstype } of mountLines(mountinfo)) {
    const parts = point.split("/");
    const at = (i: number): string => parts.at(-i) ?? "";
    const upTo = (i: number): string => parts.slice(0, -i).join("/");
    if (parts.length < 4) continue;
    if ((fstype === "overlay" || fstype.startsWith("fuse.")) && at(1) === "merged" && containerId.test(at(2))) {
      // And the store of the containers' own files (/dev/shm mounts among them), which may hold no mount yet.
      if (at(3) === "overlay2") stores.add(upTo(2)).add(`${upTo(3)}/containers`);
      if (at(3) === "overlay") stores.add(upTo(2)).add(`${upTo(3)}/overlay-containers`);
    } else if (fstype === "nsfs" && at(2) === "netns") stores.add(upTo(1));
    else if (fstype === "tmpfs" && at(1) === "shm" && ["mounts", "userdata"].includes(at(2)) && containerId.test(at(3)))
      stores.add(upTo(3));
  }
  // A store inside another is hidden with it.
  return [...stores].filter((s) => ![...stores].some((o) => o !== s && isWithin(s, o))).sort(compareStrings);
}
