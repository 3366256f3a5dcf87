/**
 * A fake host's cgroup file systems for the limits runtime's unit tests: this
 * machine's hybrid layout (memory, pids, cpu on v1; srt's memory cgroup nested),
 * a v2 tree, and cgroupfs as far as srt uses it.
 */
import type { LinuxFs, NodeStat } from "../../src/runtime/linux/deps.js";
import { errno } from "./linux-fake-fs.js";

export const hybridMountinfo = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;
export const hybridOwn = "8:pids:/\n4:memory:/process_api/abc\n1:cpu:/\n0::/\n";
export const v2Mountinfo = "30 23 0:27 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n";

/** cgroupfs as far as srt uses it: mkdir makes the control files, rmdir removes a directory holding only them. */
export function cgroupFs(dirs: Record<string, { uid?: number; files?: Record<string, string> }>): {
  fs: LinuxFs;
  nodes: Map<string, { dir: boolean; uid: number; text: string }>;
  writes: string[];
} {
  const nodes = new Map<string, { dir: boolean; uid: number; text: string }>();
  const writes: string[] = [];
  // Both versions' names: each test's host decides which ones srt writes.
  const control = [
    ...["cgroup.procs", "pids.max", "pids.events", "cpu.stat"],
    ...["memory.max", "memory.swap.max", "memory.oom.group", "memory.events", "cpu.max"],
    ...["memory.limit_in_bytes", "memory.memsw.limit_in_bytes", "memory.oom_control"],
    ...["cpu.cfs_period_us", "cpu.cfs_quota_us"],
  ];
  for (const [d, spec] of Object.entries(dirs)) {
    nodes.set(d, { dir: true, uid: spec.uid ?? 0, text: "" });
    for (const [f, t] of Object.entries(spec.files ?? {})) nodes.set(`${d}/${f}`, { dir: false, uid: 0, text: t });
  }
  const stat = (n: { dir: boolean; uid: number }): NodeStat => ({
    kind: n.dir ? "dir" : "file",
    dev: 1n,
    ino: 1n,
    uid: n.uid,
    mode: 0o755,
    size: 0n,
    mtimeMs: 0,
  });
  const fs: Pick<LinuxFs, "lstat" | "mkdir" | "writeFile" | "readFile" | "readdir" | "rmdir"> = {
    lstat(p) {
      const n = nodes.get(p);
      if (!n) throw errno("ENOENT", p);
      return stat(n);
    },
    mkdir(p) {
      if (nodes.has(p)) throw errno("EEXIST", p);
      nodes.set(p, { dir: true, uid: 0, text: "" });
      for (const f of control) nodes.set(`${p}/${f}`, { dir: false, uid: 0, text: "" });
    },
    writeFile(p, text) {
      const n = nodes.get(p);
      if (!n || n.dir) throw errno("EACCES", p);
      n.text = text;
      writes.push(`${p}=${text}`);
    },
    readFile(p) {
      const n = nodes.get(p);
      if (!n || n.dir) throw errno("ENOENT", p);
      return n.text;
    },
    readdir(p) {
      return [...nodes.keys()]
        .filter((k) => k.startsWith(`${p}/`) && !k.slice(p.length + 1).includes("/"))
        .map((k) => k.slice(p.length + 1));
    },
    rmdir(p) {
      if ((nodes.get(`${p}/cgroup.procs`)?.text ?? "") !== "") throw errno("EBUSY", p);
      for (const k of [...nodes.keys()]) if (k === p || k.startsWith(`${p}/`)) nodes.delete(k);
    },
  };
  return { fs: fs as LinuxFs, nodes, writes };
}
