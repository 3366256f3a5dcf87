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
import type { OciArtifact, OciSource } from "./lower.js";

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
}

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
    return [{ destination, type: m.type, source: src, options: m.options }];
  });
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
  const rootless = run.uid !== 0;
  const { linux, process } = a.config;
  const config = {
    ...a.config,
    process: {
      ...process,
      args: [...run.command],
      env: Object.entries(run.env).map(([k, v]) => `${k}=${v}`),
    },
    mounts,
    linux: {
      ...linux,
      namespaces: rootless ? [...linux.namespaces, { type: "user" }] : linux.namespaces,
      ...(run.cgroupsPath === undefined || rootless ? {} : { cgroupsPath: run.cgroupsPath }),
      ...(rootless
        ? {
            uidMappings: [{ containerID: 0, hostID: run.uid, size: 1 }],
            gidMappings: [{ containerID: 0, hostID: run.gid, size: 1 }],
          }
        : {}),
      seccomp: {
        ...linux.seccomp,
        // Reasons are for reviewers; runtimes get the rules only.
        syscalls: linux.seccomp.syscalls.map(({ comment: _, ...rule }) => rule),
      },
    },
    ...(run.hooks === undefined ? {} : { hooks: run.hooks }),
  };
  return { config, skeletons, skipped };
}
