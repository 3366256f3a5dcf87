/**
 * Where this host's cgroup controllers are, read from /proc/self/mountinfo and
 * /proc/self/cgroup (pure parsers; the caller reads the files). A host may be
 * cgroup v1 (one hierarchy per controller, or a few co-mounted), v2 (one
 * tree), or hybrid — this project's machine has memory, pids and cpu on v1
 * and a v2 tree with only hugetlb — so every controller is looked up on its
 * own: v1 when a v1 hierarchy carries it, else the v2 tree when that lists it.
 *
 * A run's cgroup is always created *below srt's own cgroup* in each
 * hierarchy, never at a hierarchy's root: joining a cgroup elsewhere would
 * lift the limits srt itself runs under (a container's, a service's, a CI
 * job's), so the sandbox could use more than its caller may.
 */

export type Controller = "memory" | "pids" | "cpu";
export const controllers: readonly Controller[] = ["memory", "pids", "cpu"];

export interface Hierarchy {
  readonly version: 1 | 2;
  /** Where the hierarchy is mounted (e.g. /sys/fs/cgroup/memory, or /sys/fs/cgroup on a v2 host). */
  readonly mount: string;
  /** The cgroup path the mount shows at its mount point ("/" unless the host mounted a sub-tree). */
  readonly root: string;
  /** v1: the controllers of the mount's options; v2: filled in from cgroup.controllers by the caller. */
  readonly controllers: readonly string[];
}

/** mountinfo escapes space, tab, newline and backslash as \ooo. */
const unescape = (s: string): string =>
  s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/** The cgroup mounts of /proc/self/mountinfo (v2 controllers empty: read <mount>/cgroup.controllers for them). */
export function parseCgroupMounts(mountinfo: string): Hierarchy[] {
  const out: Hierarchy[] = [];
  for (const line of mountinfo.split("\n")) {
    const dash = line.indexOf(" - ");
    if (dash < 0) continue;
    const left = line.slice(0, dash).split(" ");
    const [fstype, , superOptions = ""] = line.slice(dash + 3).split(" ");
    const root = unescape(left[3] ?? "");
    const mount = unescape(left[4] ?? "");
    if (fstype === "cgroup2") out.push({ version: 2, mount, root, controllers: [] });
    else if (fstype === "cgroup")
      out.push({
        version: 1,
        mount,
        root,
        controllers: superOptions.split(",").filter((o) => controllers.includes(o as Controller)),
      });
  }
  return out;
}

/** /proc/self/cgroup: "hierarchy-id:controllers:path"; the v2 entry has id 0 and no controllers. */
export function parseOwnCgroups(text: string): { readonly v1: ReadonlyMap<string, string>; readonly v2?: string } {
  const v1 = new Map<string, string>();
  let v2: string | undefined;
  for (const line of text.split("\n")) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    if (m[1] === "0" && m[2] === "") v2 = m[3]!;
    else for (const c of m[2]!.split(",")) v1.set(c, m[3]!);
  }
  return v2 === undefined ? { v1 } : { v1, v2 };
}

/** Where one controller lives for this process: its hierarchy and srt's own cgroup directory there. */
export interface ControllerPlace {
  readonly controller: Controller;
  readonly version: 1 | 2;
  /** srt's own cgroup, as a directory of the mounted hierarchy. */
  readonly own: string;
}

/**
 * Each controller's place, or the reason it has none. `v2Controllers` is the v2 tree's
 * cgroup.controllers at srt's own cgroup (what a child of it could be given).
 */
export function placeControllers(
  mounts: readonly Hierarchy[],
  own: ReturnType<typeof parseOwnCgroups>,
  v2Controllers: readonly string[],
): Map<Controller, ControllerPlace | { readonly missing: string }> {
  const out = new Map<Controller, ControllerPlace | { readonly missing: string }>();
  const v2 = mounts.find((m) => m.version === 2);
  for (const c of controllers) {
    const h1 = mounts.find((m) => m.version === 1 && m.controllers.includes(c));
    if (h1 !== undefined) {
      const path = own.v1.get(c);
      const dir = path === undefined ? undefined : below(h1, path);
      out.set(
        c,
        dir === undefined
          ? { missing: `srt's own ${c} cgroup is not visible under ${h1.mount}` }
          : { controller: c, version: 1, own: dir },
      );
    } else if (v2 !== undefined && v2Controllers.includes(c) && own.v2 !== undefined) {
      const dir = below(v2, own.v2);
      out.set(
        c,
        dir === undefined
          ? { missing: `srt's own cgroup is not visible under ${v2.mount}` }
          : { controller: c, version: 2, own: dir },
      );
    } else {
      out.set(c, { missing: `no cgroup hierarchy on this host has the ${c} controller` });
    }
  }
  return out;
}

/** The directory of cgroup `path` in a hierarchy mounted from `h.root`, or undefined when the mount does not show it. */
function below(h: Hierarchy, path: string): string | undefined {
  const root = h.root === "/" ? "" : h.root;
  if (root !== "" && path !== root && !path.startsWith(`${root}/`)) return undefined;
  const rest = path.slice(root.length);
  if (rest.split("/").includes("..")) return undefined;
  return `${h.mount}${rest === "/" ? "" : rest}`;
}
