/**
 * An OCI artifact made concrete for one run: the command, its environment,
 * the run's private paths, the caller's identity. Pure; the runtime writes
 * the result to the bundle (src/runtime/oci/bundle.ts).
 *
 * Identity: the command runs as container uid/gid 0, which is the caller —
 * root itself, or, for anyone else, the caller mapped to 0 in a new user
 * namespace (rootless runc). No other id is mapped, so nothing in the
 * container can become another user of the host.
 */
import { isWithin } from "../../compiler/paths.js";
import type { OciArtifact, OciResources, OciRlimit, OciSource } from "./lower.js";

export interface OciRun {
  readonly command: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly slots: { readonly tmp: string; readonly void: string };
  /** The bundle directory (skeletons are made in it). */
  readonly bundle: string;
  readonly uid: number;
  readonly gid: number;
  /** Whether a host path exists (lstat), for the optional mounts. */
  readonly exists: (path: string) => boolean;
  /** Where runc makes the container's cgroups (a root run), so a cleanup after a crash can find them. */
  readonly cgroupsPath?: string;
  /** OCI hooks, as the runtime wants them (the bridge's hand-shake). */
  readonly hooks?: Readonly<Record<string, unknown>>;
  /**
   * srt's supervisor (native/srt-supervise) as the container's process: its host path, bound
   * read-only at supervisorMountPoint; it reads its configuration on fd 3 and reports on fd 4
   * (`runc run --preserve-fds 2`), installs srt's seccomp program with its listener, then runs the
   * command. The spec's own `linux.seccomp` is then left out: the supervisor's program holds
   * every rule of the profile (the same table) and the notify rules a profile cannot express, and
   * a second, unsupervised filter would refuse what the supervisor decides (path-scoped unix
   * sockets) — and would filter the supervisor's own seccomp() and listener calls.
   */
  readonly supervisor?: { readonly source: string };
  /**
   * crun: whether a bind's source is a file (stat). crun refuses `rro` on a file; a file has no
   * mounts below it, so `bind,ro` means the same there. Absent (runc): the options stay as lowered.
   */
  readonly isFile?: (path: string) => boolean;
  /** Binds added last, read-only (masked credential files over their denied originals). */
  readonly binds?: readonly { readonly source: string; readonly dest: string }[];
  /** process.rlimits as the runtime decided them (replacing the artifact's). */
  readonly rlimits?: readonly OciRlimit[];
  /** linux.resources as the runtime decided them (replacing the artifact's; undefined: none). */
  readonly resources?: OciResources | undefined;
}

/** Where the supervisor's binary is bound in the container (a mount point in the skeleton root). */
export const supervisorMountPoint = "/.srt-supervise";
/** The supervisor's configuration and report fds in the container (runc's --preserve-fds 2). */
export const supervisorFds = { config: 3, report: 4 } as const;

export interface ConcreteSkeleton {
  /** Absolute, in the bundle. */
  readonly dir: string;
  readonly entries: readonly (
    | { readonly path: string; readonly kind: "dir" | "file" }
    | { readonly path: string; readonly kind: "symlink"; readonly target: string }
  )[];
}

export interface ConcreteBundle {
  /** config.json's value. */
  readonly config: Readonly<Record<string, unknown>>;
  readonly skeletons: readonly ConcreteSkeleton[];
  /** Mounts left out because their source is missing (bwrap's `-try`), for the debug log. */
  readonly skipped: readonly string[];
}

export const skeletonDir = (bundle: string, i: number): string =>
  i === 0 ? `${bundle}/rootfs` : `${bundle}/skeleton/${i}`;

export function instantiateOci(a: OciArtifact, run: OciRun): ConcreteBundle {
  const source = (s: OciSource): string =>
    typeof s === "string" ? s : "slot" in s ? run.slots[s.slot] : skeletonDir(run.bundle, s.skeleton);
  const skipped: string[] = [];
  const mounts = a.config.mounts.flatMap((m) => {
    const src = source(m.source);
    if (m.optional && !run.exists(src)) {
      skipped.push(src);
      return [];
    }
    const destination = typeof m.destination === "string" ? m.destination : run.slots[m.destination.slot];
    const options =
      m.type === "bind" && run.isFile?.(src) === true
        ? m.options.map((o) => (o === "rro" ? "ro" : o === "rbind" ? "bind" : o))
        : m.options;
    return [{ destination, type: m.type, source: src, options }];
  });
  const roFile = ["bind", "ro", "nosuid", "nodev", "rprivate"];
  if (run.supervisor !== undefined)
    mounts.push({ destination: supervisorMountPoint, type: "bind", source: run.supervisor.source, options: roFile });
  for (const b of run.binds ?? [])
    mounts.push({ destination: b.dest, type: "bind", source: b.source, options: roFile });
  const skeletons = a.skeletons.map((s, i): ConcreteSkeleton => ({
    dir: skeletonDir(run.bundle, i),
    entries: s.entries.flatMap((e): ConcreteSkeleton["entries"][number][] => {
      if (e.kind === "symlink") return [e];
      if (typeof e.path === "string") return [{ path: e.path, kind: e.kind }];
      const at = run.slots[e.path.slot];
      // A run's temp dir lies in the state directory; a standalone bundle's (srt compile -o DIR) in DIR.
      if (!isWithin(at, s.covers) || at === s.covers) return [];
      return [{ path: at.slice(s.covers.length + 1), kind: e.kind }];
    }),
  }));
  if (run.supervisor !== undefined && skeletons[0] !== undefined)
    skeletons[0] = {
      ...skeletons[0],
      entries: [...skeletons[0].entries, { path: supervisorMountPoint.slice(1), kind: "file" }],
    };
  const { seccomp, resources, ...linuxKept } = a.config.linux;
  const rlimits = run.rlimits ?? a.config.process.rlimits;
  const rootless = run.uid !== 0;
  const { process } = a.config;
  const { rlimits: _, ...processRest } = process;
  const config = {
    ...a.config,
    process: {
      ...processRest,
      ...(rlimits === undefined || rlimits.length === 0 ? {} : { rlimits }),
      args:
        run.supervisor === undefined
          ? [...run.command]
          : [supervisorMountPoint, String(supervisorFds.config), String(supervisorFds.report), "--", ...run.command],
      env: Object.entries(run.env).map(([k, v]) => `${k}=${v}`),
    },
    mounts,
    linux: {
      ...linuxKept,
      ...("resources" in run
        ? run.resources === undefined
          ? {}
          : { resources: run.resources }
        : resources === undefined
          ? {}
          : { resources }),
      namespaces: rootless ? [...linuxKept.namespaces, { type: "user" }] : linuxKept.namespaces,
      ...(run.cgroupsPath === undefined || rootless ? {} : { cgroupsPath: run.cgroupsPath }),
      ...(rootless
        ? {
            uidMappings: [{ containerID: 0, hostID: run.uid, size: 1 }],
            gidMappings: [{ containerID: 0, hostID: run.gid, size: 1 }],
          }
        : {}),
      ...(run.supervisor !== undefined
        ? {}
        : {
            seccomp: {
              ...seccomp,
              // Reasons are for reviewers; runtimes get the rules only.
              syscalls: seccomp.syscalls.map(({ comment: _c, ...rule }) => rule),
            },
          }),
    },
    ...(run.hooks === undefined ? {} : { hooks: run.hooks }),
  };
  return { config, skeletons, skipped };
}
