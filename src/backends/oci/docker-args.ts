/**
 * An OCI artifact (./lower.ts) → `docker create` (or `podman create`) arguments, for
 * one run. Pure: the host's mount table, the run's paths and the engine's
 * choices come in as input; the runtime (src/runtime/oci/docker.ts) runs it.
 *
 * The mounts are the OCI lowering's, so one reviewed policy means the same
 * under bwrap, runc and Docker. What differs:
 *
 *   - Docker has no recursive read-only bind before API 1.44 (Docker 25):
 *     `readonly` leaves a read-write mount below the bind writable. So every
 *     host mount point below a read-only bind is bound read-only on its own
 *     (`submounts`), as `rro` would have made it. Except container engines'
 *     stores (their containers' roots, network namespaces, /dev/shm): those
 *     mounts come and go while srt's container is made, and more arrive during
 *     the run through the `rslave` bind Docker makes of a source holding its
 *     data root. An empty read-only directory is bound over each store
 *     instead, so nothing in it, then or later, is reachable.
 *   - Docker makes its own /proc, /dev, /dev/pts, /dev/shm, /dev/mqueue and a
 *     read-only /sys; the plan's own are left to it.
 *   - Docker orders mounts by destination depth, not as given. A mount that a
 *     later one covers (same or a parent destination) is hidden in bwrap's
 *     order: it is left out here, so depth order means the same thing.
 *   - With an image, the image's root replaces the host's: the host's
 *     top-level binds are left out, and so is every policy mount outside what
 *     the command sees of the host (its writable roots and the volumes).
 *
 * The container's first process is srt's supervisor (native/srt-supervise),
 * as under runc: its binary bound read-only, linked statically so it runs in
 * any image; it connects to srt's socket (bound read-only too) for its
 * configuration, installs srt's seccomp program with its listener, and only
 * then runs the command. So Docker installs no filter of its own
 * (`seccomp=unconfined` for this container alone): its ERRNO rules would
 * pre-empt the supervisor's notify rules (the kernel takes the strictest
 * action), and the one filter the command runs under is srt's. A supervisor
 * that cannot start, or cannot install the filter, never runs the command.
 *
 * Environment values never appear in the argv (the host's `ps` shows it):
 * `--env NAME` takes the value from the client's environment, returned as
 * `clientEnv`. Only a name the client itself reads (DOCKER_*) is spelled out.
 */
import { isWithin } from "../../compiler/paths.js";
import type { OciArtifact, OciLimitValues, OciSource } from "./lower.js";
import { skeletonDir, supervisorMountPoint } from "./instantiate.js";

/** Where srt's socket for the supervisor (its configuration in, its report out) is bound in a container. */
export const supervisorSocketPoint = "/.srt-supervise.sock";

export interface DockerVolume {
  readonly source: string;
  readonly target: string;
  readonly readonly: boolean;
}

export type DockerNetwork =
  | { readonly kind: "none" }
  /** Joins the holder container's network namespace, where srt's bridges listen. */
  | { readonly kind: "container"; readonly id: string }
  /** podman: a network namespace srt made, by path. */
  | { readonly kind: "ns"; readonly path: string }
  | { readonly kind: "host" };

export interface DockerLimits {
  readonly cpus?: number;
  readonly memoryBytes?: number;
  readonly pids?: number;
  readonly openFiles?: number;
  readonly fileSizeBytes?: number;
  /** RLIMIT_DATA: memory with bestEffort where the engine has no memory controller. */
  readonly dataBytes?: number;
}

/** The limits a run decided the engine applies (src/runtime/linux/limits), as its flags' values. */
export function dockerLimits(values: OciLimitValues): DockerLimits {
  const { memory, pids, cpu } = values.resources;
  const rlimit = (r: "data" | "fsize" | "nofile"): number | undefined =>
    values.rlimits.find((x) => x.rlimit === r)?.value;
  const [data, fsize, nofile] = [rlimit("data"), rlimit("fsize"), rlimit("nofile")];
  return {
    ...(cpu === undefined ? {} : { cpus: cpu }),
    ...(memory === undefined ? {} : { memoryBytes: memory }),
    ...(pids === undefined ? {} : { pids }),
    ...(nofile === undefined ? {} : { openFiles: nofile }),
    ...(fsize === undefined ? {} : { fileSizeBytes: fsize }),
    ...(data === undefined ? {} : { dataBytes: data }),
  };
}

export interface DockerRunInput {
  readonly artifact: OciArtifact;
  readonly slots: { readonly tmp: string; readonly void: string };
  /** Where the run's skeletons (read masks) are made. */
  readonly bundle: string;
  readonly exists: (path: string) => boolean;
  /** Host mount points strictly below a path, parents first (from /proc/self/mountinfo). */
  readonly submounts: (path: string) => readonly string[];
  /**
   * Container engines' stores on the host (src/runtime/oci/mountinfo.ts engineStores) and an
   * empty directory: a store below a bind is hidden behind the directory, read-only, and none of
   * its mounts is bound.
   */
  readonly engineMask?: { readonly stores: readonly string[]; readonly empty: string };
  readonly command: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** "uid:gid" */
  readonly user: string;
  readonly image: string;
  /** true when the image is the user's (docker.image): its root replaces the host's. */
  readonly imageRoot: boolean;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly network: DockerNetwork;
  /** srt's supervisor on the host, and the socket srt listens on for it (in the run directory). */
  readonly supervisor: { readonly binary: string; readonly socket: string };
  /** Bound read-only over what the policy made, last (masked credential files over their denied originals). */
  readonly overlays?: readonly { readonly source: string; readonly dest: string }[];
  readonly workdir: string;
  readonly autoRemove: boolean;
  readonly limits: DockerLimits;
  readonly volumes: readonly DockerVolume[];
  /** Keep stdin open (`-i`). */
  readonly interactive: boolean;
  /** The engine's own extra create arguments (podman as root: its ulimits). */
  readonly engineArgs?: readonly string[];
}

export interface DockerRun {
  readonly args: readonly string[];
  /** The docker client's environment entries that carry the command's variables. */
  readonly clientEnv: Readonly<Record<string, string>>;
  /** Optional mounts left out (their source is missing). */
  readonly skipped: readonly string[];
}

export interface DockerBind {
  readonly source: string;
  readonly target: string;
  readonly readonly: boolean;
}

/** Made by Docker itself in every container (unprivileged: /sys read-only). */
const engineOwned = ["/proc", "/dev", "/sys"];
const ownedByEngine = (dst: string): boolean => engineOwned.some((p) => isWithin(dst, p));

/**
 * The flags every srt container runs with, the holder's included. `seccomp`: a profile's file (the
 * holder's), or "unconfined" for a container whose first process is srt's supervisor, which
 * installs srt's filter itself (see the header).
 */
export function confinementArgs(seccomp: string, user: string): string[] {
  return [
    "--read-only",
    "--cap-drop",
    "ALL",
    "--security-opt",
    "no-new-privileges",
    "--security-opt",
    `seccomp=${seccomp}`,
    "--user",
    user,
    "--ipc",
    "private",
  ];
}

/**
 * A bind's propagation is left to Docker: rprivate by default, rslave for a source that holds
 * the daemon's data root (/var holds /var/lib/docker), where Docker refuses an explicit rprivate.
 */
/** A `--mount` value: CSV (Docker parses it with encoding/csv), each field quoted. */
export function mountArg(fields: readonly string[]): string {
  return fields.map((f) => (/[",\n\r]/.test(f) ? `"${f.replace(/"/g, '""')}"` : f)).join(",");
}

export const bindArg = (b: DockerBind): string =>
  mountArg(["type=bind", `source=${b.source}`, `target=${b.target}`, ...(b.readonly ? ["readonly"] : [])]);

/** Where host path `p`, below a bind of `src` on `dst`, is in the container. */
const below = (src: string, dst: string, p: string): string =>
  dst === "/" ? p : `${dst}${p.slice(src === "/" ? 0 : src.length)}`;

/** The artifact's binds as Docker will make them (see the header). */
export function dockerBinds(input: Omit<DockerRunInput, "command" | "env" | "supervisor">): {
  binds: DockerBind[];
  skipped: string[];
} {
  const source = (s: OciSource): string =>
    typeof s === "string" ? s : "slot" in s ? input.slots[s.slot] : skeletonDir(input.bundle, s.skeleton);
  const skipped: string[] = [];
  const list: DockerBind[] = [];
  const stores = input.engineMask?.stores ?? [];
  const inStore = (p: string): boolean => stores.some((s) => isWithin(p, s));
  // Whatever the bind's options and propagation (Docker makes it rslave when it holds its data root).
  const storeMasks = (src: string, dst: string): DockerBind[] =>
    stores
      .filter((s) => isWithin(s, src))
      .map((s) => ({ source: input.engineMask!.empty, target: below(src, dst, s), readonly: true }))
      .filter((b) => !ownedByEngine(b.target));
  const hostRoot = new Set(
    (input.artifact.skeletons[0]?.entries ?? []).flatMap((e) =>
      typeof e.path === "string" && e.kind !== "symlink" ? [`/${e.path}`] : [],
    ),
  );
  for (const m of input.artifact.config.mounts) {
    if (m.type !== "bind") continue;
    const src = source(m.source);
    const dst = typeof m.destination === "string" ? m.destination : input.slots[m.destination.slot];
    if (ownedByEngine(dst)) continue;
    // The host's top-level directories, bound onto the skeleton root (lower.ts step 1).
    const topLevel = typeof m.source === "string" && m.source === dst && hostRoot.has(dst);
    if (topLevel && input.imageRoot) continue;
    if (m.optional && !input.exists(src)) {
      skipped.push(src);
      continue;
    }
    const readonly = m.options.includes("ro") || m.options.includes("rro");
    list.push({ source: src, target: dst, readonly });
    if (readonly && m.options.includes("rro"))
      for (const sub of input.submounts(src)) {
        const target = below(src, dst, sub);
        if (!ownedByEngine(target) && !inStore(sub)) list.push({ source: sub, target, readonly: true });
      }
    if (typeof m.source === "string") list.push(...storeMasks(src, dst));
  }
  // The volumes last: mounts of their own, on top of what the policy made; then the masked files over them.
  for (const v of input.volumes) list.push({ ...v }, ...storeMasks(v.source, v.target));
  list.push(...(input.overlays ?? []).map((o) => ({ source: o.source, target: o.dest, readonly: true })));
  // bwrap's order: a mount covered by a later one (same or a parent destination) is hidden.
  let binds = list.filter((b, i) => !list.slice(i + 1).some((later) => isWithin(b.target, later.target)));
  if (input.imageRoot) {
    // What the command sees of the host: its writable roots and the volumes; a mask elsewhere has nothing to hide.
    const seen = binds.filter((b) => !b.readonly || input.volumes.some((v) => v.target === b.target));
    binds = binds.filter((b) => seen.some((s) => isWithin(b.target, s.target)));
  }
  return { binds, skipped };
}

/** Names the docker client reads from its own environment: never passed through it. */
const clientNames = /^DOCKER_/;

export function dockerRunArgs(input: DockerRunInput): DockerRun {
  const { binds, skipped } = dockerBinds(input);
  // Never pulled: srt runs what is on the engine, or nothing.
  const args: string[] = ["create", "--name", input.name, "--pull", "never"];
  if (input.autoRemove) args.push("--rm");
  if (input.interactive) args.push("--interactive");
  for (const [k, v] of Object.entries(input.labels)) args.push("--label", `${k}=${v}`);
  args.push(...confinementArgs("unconfined", input.user));
  args.push(
    "--network",
    input.network.kind === "container"
      ? `container:${input.network.id}`
      : input.network.kind === "ns"
        ? `ns:${input.network.path}`
        : input.network.kind,
  );
  args.push("--workdir", input.workdir);
  const { limits } = input;
  if (limits.cpus !== undefined) args.push("--cpus", String(limits.cpus));
  if (limits.memoryBytes !== undefined)
    args.push("--memory", `${limits.memoryBytes}b`, "--memory-swap", `${limits.memoryBytes}b`);
  if (limits.pids !== undefined) args.push("--pids-limit", String(limits.pids));
  if (limits.openFiles !== undefined) args.push("--ulimit", `nofile=${limits.openFiles}:${limits.openFiles}`);
  if (limits.fileSizeBytes !== undefined)
    args.push("--ulimit", `fsize=${limits.fileSizeBytes}:${limits.fileSizeBytes}`);
  if (limits.dataBytes !== undefined) args.push("--ulimit", `data=${limits.dataBytes}:${limits.dataBytes}`);
  args.push(...(input.engineArgs ?? []));
  const clientEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(input.env)) {
    if (clientNames.test(k)) args.push("--env", `${k}=${v}`);
    else {
      args.push("--env", k);
      clientEnv[k] = v;
    }
  }
  for (const b of binds) args.push("--mount", bindArg(b));
  args.push("--mount", bindArg({ source: input.supervisor.binary, target: supervisorMountPoint, readonly: true }));
  args.push("--mount", bindArg({ source: input.supervisor.socket, target: supervisorSocketPoint, readonly: true }));
  if (input.command.length === 0) throw new Error("docker run: no command");
  // The supervisor is pid 1, as under runc: the command is its child, so it gets the signals srt sends the group.
  args.push(
    "--entrypoint",
    supervisorMountPoint,
    input.image,
    "--connect",
    supervisorSocketPoint,
    "--",
    ...input.command,
  );
  return { args, clientEnv, skipped };
}
