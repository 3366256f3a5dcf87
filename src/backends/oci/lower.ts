/**
 * IR → an OCI runtime-spec bundle (config.json and the skeleton directories it
 * names), for runc and crun. Pure: the host's top-level entries come in as an
 * option, as the arch does; the run's own values (the command, environment,
 * private temp dir, caller's identity) are filled in by `instantiateOci`.
 *
 * The mounts are the bwrap backend's (planMounts), in the same order and with
 * the same meaning, so one reviewed policy holds the same way under both;
 * test/oci/parity.test.ts checks that path by path. What differs is how:
 *
 *   - runc refuses the host's `/` as the container root (pivot_root: EBUSY).
 *     The root is a *skeleton*: an empty directory per top-level host
 *     directory, the host's top-level symlinks, read-only; each top-level
 *     directory is bound over its stand-in with `rbind,rro`. `ro` is not
 *     recursive: with `rbind,ro` a read-write mount below (a disk on /home/x)
 *     stays writable in the container; `rro` (mount_setattr AT_RECURSIVE)
 *     makes every mount below read-only too, as bwrap's `--ro-bind` does.
 *   - A spec has no "remount read-only later". A read mask (bwrap: tmpfs, the
 *     carve-outs, then `--remount-ro`) is a read-only bind of a skeleton that
 *     already holds the mount points of its carve-outs; srt's state directory
 *     is masked the same way, holding the mount point of the run's temp dir.
 *   - bwrap's `-try` binds skip a source that could not be created; a spec
 *     mount cannot be optional, so such mounts are listed and instantiateOci
 *     drops the ones whose source is missing at run time (the runtime tried
 *     to create each, as for bwrap).
 *   - Mount propagation is private (`rprivate`): a mount the host makes
 *     during the run would otherwise arrive below an `rro` bind read-write.
 *
 * No capabilities, noNewPrivileges, new pid/ipc/uts/net/mount/cgroup
 * namespaces; /proc is fresh, with the kernel's knobs read-only (the same
 * list as bwrap's) and the usual information leaks masked.
 */
import { match } from "ts-pattern";
import type { Policy } from "../../compiler/ir.js";
import { isWithin, pathDepth } from "../../compiler/paths.js";
import { compareStrings } from "../../compiler/compare.js";
import { kernelKnobs, weakerNestedSandboxCosts } from "../bwrap/lower.js";
import { planMounts, type MountOp, type MountPlan } from "../bwrap/mounts.js";
import { seccompOptionsFromPolicy } from "../seccomp/options.js";
import { shownOrigins } from "../bwrap/mounts.js";
import type { SeccompArch } from "../seccomp/syscalls.js";
import { lowerOciSeccomp, type OciSeccomp } from "./seccomp.js";

/** One entry of the host's `/`, as the skeleton root copies it. */
export interface RootEntry {
  readonly name: string;
  readonly kind: "dir" | "file" | "symlink" | "other";
  /** A symlink's target, as readlink says. */
  readonly target?: string;
}

export interface OciOptions {
  readonly arch: SeccompArch;
  /** The host's top-level entries (readdir("/") with lstat), sorted by name. */
  readonly root: readonly RootEntry[];
}

/** A mount source only the run knows: its temp dir, the mode-000 file, a skeleton in the bundle. */
export type OciSource = string | { readonly slot: "tmp" | "void" } | { readonly skeleton: number };

export interface OciMount {
  readonly destination: string | { readonly slot: "tmp" };
  readonly type: "bind" | "tmpfs" | "proc" | "devpts" | "mqueue";
  readonly source: OciSource;
  readonly options: readonly string[];
  /** Why it is there (the rule's origin): not part of the spec, dropped by instantiateOci. */
  readonly why: string;
  /** Dropped at run time when the source is missing (bwrap's `-try`). */
  readonly optional?: true;
}

/** A directory tree the runtime creates in the bundle before the run: entries relative to its root. */
export interface Skeleton {
  /** Where it is bound in the container ("/" for the root itself). */
  readonly covers: string;
  readonly entries: readonly SkeletonEntry[];
}

export type SkeletonEntry =
  | { readonly path: string; readonly kind: "dir" | "file" }
  | { readonly path: string; readonly kind: "symlink"; readonly target: string }
  /** The mount point of the run's temp dir, somewhere below the state directory. */
  | { readonly path: { readonly slot: "tmp" }; readonly kind: "dir" };

export interface OciConfig {
  readonly ociVersion: string;
  readonly root: { readonly path: "rootfs"; readonly readonly: true };
  readonly hostname: string;
  readonly process: {
    readonly terminal: false;
    readonly cwd: string;
    /** Container uid/gid 0: the caller (root, or mapped to the caller in a user namespace; see instantiateOci). */
    readonly user: { readonly uid: 0; readonly gid: 0 };
    readonly capabilities: Readonly<Record<"bounding" | "effective" | "inheritable" | "permitted" | "ambient", []>>;
    readonly noNewPrivileges: true;
    /** The policy's per-process limits (fileSize, openFiles); absent without any. */
    readonly rlimits?: readonly OciRlimit[];
  };
  readonly mounts: readonly OciMount[];
  readonly linux: {
    readonly namespaces: readonly { readonly type: string }[];
    readonly rootfsPropagation: "rprivate";
    readonly maskedPaths: readonly string[];
    readonly readonlyPaths: readonly string[];
    readonly seccomp: OciSeccomp;
    /** The policy's tree-wide limits (memory, pids, cpu), for the runtime's cgroup; absent without any. */
    readonly resources?: OciResources;
  };
}

export interface OciRlimit {
  readonly type: "RLIMIT_FSIZE" | "RLIMIT_NOFILE" | "RLIMIT_DATA";
  readonly hard: number;
  readonly soft: number;
}

export interface OciResources {
  /** Bytes; swap = limit (memory plus swap), so the tree is stopped rather than swapped out. */
  readonly memory?: { readonly limit: number; readonly swap: number };
  readonly pids?: { readonly limit: number };
  /** CFS quota per period (µs): cores × period. */
  readonly cpu?: { readonly quota: number; readonly period: number };
}

const cfsPeriod = 100_000;

/** A limit the spec carries, as decided: tree-wide ones for the runtime's cgroup, per-process ones as rlimits. */
export interface OciLimitValues {
  readonly resources: { readonly memory?: number; readonly pids?: number; readonly cpu?: number };
  readonly rlimits: readonly { readonly rlimit: "data" | "fsize" | "nofile"; readonly value: number }[];
}

const rlimitType = { data: "RLIMIT_DATA", fsize: "RLIMIT_FSIZE", nofile: "RLIMIT_NOFILE" } as const;

/**
 * Limits in the spec's terms: the one lowering both the compiled bundle (ociLimits, from the
 * policy) and srt's runc runner (from what the run decided holds here) use.
 */
export function ociLimitFields(values: OciLimitValues): {
  resources: OciResources | undefined;
  rlimits: OciRlimit[];
} {
  const { memory, pids, cpu } = values.resources;
  const resources: OciResources | undefined =
    memory === undefined && pids === undefined && cpu === undefined
      ? undefined
      : {
          ...(memory === undefined ? {} : { memory: { limit: memory, swap: memory } }),
          ...(pids === undefined ? {} : { pids: { limit: pids } }),
          ...(cpu === undefined
            ? {}
            : { cpu: { quota: Math.max(1000, Math.round(cpu * cfsPeriod)), period: cfsPeriod } }),
        };
  const rlimits = values.rlimits.map((r): OciRlimit => ({ type: rlimitType[r.rlimit], hard: r.value, soft: r.value }));
  return { resources, rlimits };
}

/** The policy's limits as the compiled bundle carries them; wallTime has none (the runner's timer), noted instead. */
export function ociLimits(limits: Policy["limits"]): {
  resources: OciResources | undefined;
  rlimits: OciRlimit[];
} {
  return ociLimitFields({
    resources: {
      ...(limits.memory ? { memory: limits.memory.value } : {}),
      ...(limits.pids ? { pids: limits.pids.value } : {}),
      ...(limits.cpu ? { cpu: limits.cpu.value } : {}),
    },
    rlimits: [
      ...(limits.fileSize ? [{ rlimit: "fsize" as const, value: limits.fileSize.value }] : []),
      ...(limits.openFiles ? [{ rlimit: "nofile" as const, value: limits.openFiles.value }] : []),
    ],
  });
}

export interface OciArtifact {
  readonly config: OciConfig;
  /** skeletons[0] is the root; a mount's `{skeleton: i}` names the others. */
  readonly skeletons: readonly Skeleton[];
  readonly mounts: MountPlan;
  readonly pidNamespace: boolean;
  readonly weakened: readonly string[];
  readonly notes: readonly string[];
}

/** Bound read-only from the host like the rest of `/` would be, but made fresh (dev, proc) or left to the kernel. */
const freshTopLevel = new Set(["dev", "proc"]);

/** Read on the host by nobody but the kernel's developers; hidden as runc and Docker hide them by default. */
const maskedProc = [
  "/proc/acpi",
  "/proc/asound",
  "/proc/kcore",
  "/proc/keys",
  "/proc/latency_stats",
  "/proc/timer_list",
  "/proc/timer_stats",
  "/proc/sched_debug",
  "/proc/scsi",
  "/sys/firmware",
];

const roBind = ["rbind", "rro", "nosuid", "nodev", "rprivate"];
const rwBind = ["rbind", "rw", "nosuid", "nodev", "rprivate"];

export function lowerOci(policy: Policy, options: OciOptions): OciArtifact {
  const plan = planMounts(policy);
  const weaker = policy.options.enableWeakerNestedSandbox.value;
  const stateDir = policy.context.stateDir;
  const mounts: OciMount[] = [];
  const notes: string[] = plan.notes.map((n) => `${n.path}: ${n.note} (${shownOrigins(n.origin)})`);
  const skeletons: Skeleton[] = [];
  const rootWritable = plan.ops.some((o) => o.op === "bind" && o.path === "/" && o.writable);

  // 1. The host's root, read-only, through the skeleton.
  const rootEntries: SkeletonEntry[] = [];
  for (const e of options.root) {
    if (e.kind === "symlink" && e.target !== undefined) {
      rootEntries.push({ path: e.name, kind: "symlink", target: e.target });
      continue;
    }
    if (e.kind === "symlink") continue;
    const kind = e.kind === "dir" ? "dir" : "file";
    rootEntries.push({ path: e.name, kind });
    if (freshTopLevel.has(e.name)) continue;
    const path = `/${e.name}`;
    mounts.push({
      destination: path,
      type: "bind",
      source: path,
      options: rootWritable ? rwBind : roBind,
      why: rootWritable ? `the host's ${path}, writable (${originAt(plan, "/")})` : `the host's ${path}, read-only`,
    });
  }
  skeletons.push({ covers: "/", entries: rootEntries });
  if (rootWritable)
    notes.push(
      `/: writable, but the container's root is a skeleton: a new top-level entry lands there, not on the host (${originAt(plan, "/")})`,
    );

  // 2. A fresh /proc and /dev (the host's with the weaker nested sandbox).
  if (weaker) {
    mounts.push({
      destination: "/dev",
      type: "bind",
      source: "/dev",
      options: ["rbind", "rw", "nosuid", "rprivate"],
      why: "host /dev (weaker nested sandbox)",
    });
  } else {
    mounts.push(
      {
        destination: "/dev",
        type: "tmpfs",
        source: "tmpfs",
        options: ["nosuid", "strictatime", "mode=755", "size=65536k"],
        why: "a minimal /dev (the runtime adds null, zero, full, random, urandom, tty)",
      },
      {
        destination: "/dev/pts",
        type: "devpts",
        source: "devpts",
        options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"],
        why: "a private pts instance",
      },
      {
        destination: "/dev/shm",
        type: "tmpfs",
        source: "shm",
        options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"],
        why: "private shared memory",
      },
    );
  }
  // Without a PID namespace a fresh procfs may not be mounted by an unprivileged caller: bwrap binds the host's too.
  mounts.push(
    weaker
      ? {
          destination: "/proc",
          type: "bind",
          source: "/proc",
          options: roBind,
          why: "host /proc, read-only (weaker nested sandbox: no PID namespace)",
        }
      : {
          destination: "/proc",
          type: "proc",
          source: "proc",
          options: ["nosuid", "noexec", "nodev"],
          why: "a /proc that shows only the container's processes",
        },
  );

  // 3. The policy's mounts, in bwrap's order; 4. the state directory hidden, the temp dir in it.
  // What is mounted after a mask, below it: the mount points its skeleton must hold (the state directory too).
  const later = (i: number): { path: string; kind: "dir" | "file" }[] => [
    ...plan.ops
      .slice(i + 1)
      .filter((o) => o.op !== "remount-ro")
      .map((o) => ({ path: o.path, kind: nodeKind(policy, plan, o) })),
    { path: stateDir, kind: "dir" as const },
  ];
  const ops = plan.ops.filter((o) => o.op !== "remount-ro" && !(o.op === "bind" && o.path === "/"));
  for (const op of ops) {
    const destination = op.path;
    match(op)
      .with({ op: "bind" }, (b) => {
        const what = match(b.why)
          .with("write-allow", () => "writable")
          .with("write-deny", () => "read-only again")
          .with("read-allow", () => "readable again inside a read mask")
          .with("pin-ancestor", () => "pinned (a mount point cannot be renamed away)")
          .exhaustive();
        mounts.push({
          destination,
          type: "bind",
          source: b.path,
          options: b.writable ? rwBind : roBind,
          why: `${what}: ${shownOrigins(b.origin)}`,
          ...(b.optional ? { optional: true as const } : {}),
        });
      })
      .with({ op: "mask-file" }, (x) =>
        mounts.push({
          destination,
          type: "bind",
          source: { slot: "void" },
          options: ["bind", "ro", "nosuid", "nodev", "noexec", "rprivate"],
          why: `unreadable file (mode 000, empty): ${shownOrigins(x.origin)}`,
        }),
      )
      .with({ op: "mask-dir" }, (x) => {
        skeletons.push({ covers: x.path, entries: mountPointsBelow(x.path, later(plan.ops.indexOf(op))) });
        mounts.push({
          destination,
          type: "bind",
          source: { skeleton: skeletons.length - 1 },
          options: roBind,
          why: `unreadable directory (empty, read-only): ${shownOrigins(x.origin)}`,
        });
      })
      .with({ op: "remount-ro" }, () => undefined)
      .exhaustive();
  }
  skeletons.push({ covers: stateDir, entries: [{ path: { slot: "tmp" }, kind: "dir" }] });
  mounts.push(
    {
      destination: stateDir,
      type: "bind",
      source: { skeleton: skeletons.length - 1 },
      options: roBind,
      why: "srt's state directory (every run's private files, the placeholder registry) is hidden",
    },
    {
      destination: { slot: "tmp" },
      type: "bind",
      source: { slot: "tmp" },
      options: rwBind,
      why: "the private per-run temp dir (TMPDIR), writable",
    },
  );

  const namespaces = [
    ...(weaker ? [] : [{ type: "pid" }]),
    { type: "ipc" },
    { type: "uts" },
    { type: "network" },
    { type: "mount" },
    { type: "cgroup" },
  ];
  const limits = ociLimits(policy.limits);
  if (policy.limits.wallTime)
    notes.push(
      `limits.wallTime: no spec field; srt's runner kills the container when it is reached (${policy.limits.wallTime.origin})`,
    );
  const config: OciConfig = {
    ociVersion: "1.0.2",
    root: { path: "rootfs", readonly: true },
    hostname: "srt",
    process: {
      terminal: false,
      cwd: policy.context.cwd,
      user: { uid: 0, gid: 0 },
      capabilities: { bounding: [], effective: [], inheritable: [], permitted: [], ambient: [] },
      noNewPrivileges: true,
      ...(limits.rlimits.length > 0 ? { rlimits: limits.rlimits } : {}),
    },
    mounts,
    linux: {
      namespaces,
      rootfsPropagation: "rprivate",
      maskedPaths: weaker ? [] : maskedProc,
      readonlyPaths: Object.keys(kernelKnobs),
      // For a runtime srt does not drive (the bundle run by hand, a cluster): no notify rules, and unix
      // sockets stay all-or-nothing (path-scoped ones are refused: stricter, never looser). srt's own
      // runners (runc, crun, Docker, podman) run srt's supervisor as the container's first process and
      // leave this out: its program holds these rules (instantiateOci, the Docker runner).
      seccomp: lowerOciSeccomp({
        ...seccompOptionsFromPolicy(policy, options.arch),
        supervised: false,
        unixSocketPaths: false,
      }),
      ...(limits.resources === undefined ? {} : { resources: limits.resources }),
    },
  };
  return {
    config,
    skeletons,
    mounts: plan,
    pidNamespace: !weaker,
    weakened: weaker ? weakerNestedSandboxCosts : [],
    notes,
  };
}

const originAt = (plan: MountPlan, path: string): string => {
  const o = plan.ops.find((m) => m.path === path)?.origin;
  return o === undefined ? "default" : shownOrigins(o);
};

/**
 * The mount points a skeleton must hold for the mounts made on top of it:
 * every later destination strictly below `covers`, with its parents.
 */
function mountPointsBelow(covers: string, later: readonly { path: string; kind: "dir" | "file" }[]): SkeletonEntry[] {
  const kinds = new Map<string, "dir" | "file">();
  for (const m of later) {
    if (m.path === covers || !isWithin(m.path, covers)) continue;
    const rel = m.path.slice(covers === "/" ? 1 : covers.length + 1);
    const parts = rel.split("/");
    for (let i = 1; i < parts.length; i++) kinds.set(parts.slice(0, i).join("/"), "dir");
    if (!kinds.has(rel)) kinds.set(rel, m.kind);
  }
  return [...kinds]
    .sort(([a], [b]) => pathDepth(`/${a}`) - pathDepth(`/${b}`) || compareStrings(a, b))
    .map(([path, kind]) => ({ path, kind }));
}

/** What a mount point must be: a file for a file bind or mask, else a directory. */
function nodeKind(policy: Policy, plan: MountPlan, op: MountOp): "dir" | "file" {
  if (op.op === "mask-file") return "file";
  if (op.op === "mask-dir") return "dir";
  const held = plan.placeholders.find((p) => p.path === op.path);
  if (held !== undefined) return held.kind;
  const rule = policy.filesystem.rules.find((r) => r.kind === "path" && r.path === op.path);
  return rule?.kind === "path" && (rule.node === "file" || rule.node === "other") ? "file" : "dir";
}
