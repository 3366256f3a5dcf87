/**
 * The `docker` settings key (the reference tool's seed) and the --docker-*
 * options → what the Docker runner does (src/runtime/oci/docker.ts), each
 * choice with its origin (`/docker/image`, `cli:--docker-image`) for the
 * debug log and `srt explain`. An option wins over the key.
 *
 * Checked against the compiled policy, fail closed:
 *   - a volume is an extra mount, so it may not open what the policy keeps
 *     closed: a writable volume's host path must be writable under the policy
 *     with nothing read-only or hidden below it; a read-only one may not
 *     reach a hidden path (denyRead, srt's state directory);
 *   - `networkMode: "host"` lifts all network filtering: refused unless the
 *     caller confirms it with --allow-host-network;
 *   - `user` must be numeric "uid:gid" (a name would be looked up in the image).
 */
import { isWithin } from "../compiler/paths.js";
import type { OciPlan } from "../backends/oci/index.js";
import type { DockerVolume } from "../backends/oci/docker-args.js";
import type { DockerChoices } from "../runtime/oci/docker.js";

export interface DockerFlags {
  readonly image?: string | undefined;
  readonly name?: string | undefined;
  readonly workdir?: string | undefined;
  readonly allowHostNetwork?: boolean | undefined;
}

export type DockerOptionsResult =
  | {
      readonly ok: true;
      readonly choices: DockerChoices;
      /** One line per choice made, with its origin. */
      readonly shown: readonly string[];
    }
  | { readonly ok: false; readonly code: "SRT563" | "SRT564"; readonly message: string };

/** Whether the `docker` key or a --docker-* option asks for the Docker runner. */
export const wantsDocker = (flags: DockerFlags): boolean =>
  flags.image !== undefined || flags.name !== undefined || flags.workdir !== undefined;

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

export function dockerOptions(
  settingsValue: unknown,
  flags: DockerFlags,
  plan: OciPlan,
  realpath: (path: string) => string | undefined,
): DockerOptionsResult {
  const key =
    typeof settingsValue === "object" && settingsValue !== null
      ? (settingsValue as Record<string, unknown>)["docker"]
      : undefined;
  const d = (typeof key === "object" && key !== null ? key : {}) as Record<string, unknown>;
  const shown: string[] = [];
  const refuse = (message: string): DockerOptionsResult => ({ ok: false, code: "SRT563", message });
  const pick = (field: "image" | "name" | "workdir"): string | undefined => {
    const flag = flags[field];
    if (flag !== undefined) {
      shown.push(`docker ${field}: ${flag} (cli:--docker-${field})`);
      return flag;
    }
    const v = str(d[field]);
    if (v !== undefined) shown.push(`docker ${field}: ${v} (/docker/${field})`);
    return v;
  };
  const image = pick("image");
  const name = pick("name");
  const workdir = pick("workdir");
  if (name !== undefined && !/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name))
    return refuse(`docker name ${JSON.stringify(name)}: Docker allows [a-zA-Z0-9][a-zA-Z0-9_.-]* only`);
  if (workdir !== undefined && !workdir.startsWith("/"))
    return refuse(`docker workdir ${JSON.stringify(workdir)}: must be an absolute path`);
  if (image !== undefined && (image === "" || image.startsWith("-")))
    return refuse(`docker image ${JSON.stringify(image)} is not an image name`);

  const user = str(d["user"]);
  if (user !== undefined) {
    if (!/^[0-9]+:[0-9]+$/.test(user))
      return refuse(
        `/docker/user ${JSON.stringify(user)}: give numeric "uid:gid" (a name would be resolved in the image)`,
      );
    shown.push(`docker user: ${user} (/docker/user)`);
  }
  const env: Record<string, string> = {};
  const envKey = d["env"];
  if (typeof envKey === "object" && envKey !== null)
    for (const [k, v] of Object.entries(envKey as Record<string, unknown>)) {
      if (typeof v !== "string" || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(k))
        return refuse(`/docker/env/${k}: a variable needs a plain name and a string value`);
      env[k] = v;
    }
  if (Object.keys(env).length > 0) shown.push(`docker env: ${Object.keys(env).join(", ")} (/docker/env)`);

  const mode = d["networkMode"] ?? "none";
  if (mode !== "none" && mode !== "host")
    return refuse(
      `/docker/networkMode ${JSON.stringify(mode)}: srt runs containers with "none" (egress only through srt's proxies) or "host" (no filtering)`,
    );
  if (mode === "host") {
    if (flags.allowHostNetwork !== true)
      return refuse(
        `/docker/networkMode "host" gives the command the host's network with no filtering at all; confirm with --allow-host-network`,
      );
    shown.push(
      `docker network: HOST, NOT FILTERED: the command reaches every address the host can (/docker/networkMode, cli:--allow-host-network)`,
    );
  } else
    shown.push(
      `docker network: none, egress only through srt's proxies (${d["networkMode"] === undefined ? "default" : "/docker/networkMode"})`,
    );

  const autoRemove = d["autoRemove"] === undefined ? true : d["autoRemove"] === true;
  if (!autoRemove)
    shown.push("docker autoRemove: false: the container is kept after the command ends (/docker/autoRemove)");

  const volumes: DockerVolume[] = [];
  const listed = Array.isArray(d["volumes"]) ? (d["volumes"] as unknown[]) : [];
  for (const [i, v] of listed.entries()) {
    const at = `/docker/volumes/${i}`;
    const parts = typeof v === "string" ? v.split(":") : [];
    const [host, target, flag] = parts;
    if (
      host === undefined ||
      target === undefined ||
      parts.length > 3 ||
      (flag !== undefined && flag !== "ro" && flag !== "rw")
    )
      return refuse(`${at} ${JSON.stringify(v)}: write "HOST:CONTAINER" or "HOST:CONTAINER:ro"`);
    if (!host.startsWith("/") || !target.startsWith("/"))
      return refuse(`${at} ${JSON.stringify(v)}: both paths must be absolute (named volumes are not supported)`);
    const source = realpath(host);
    if (source === undefined) return refuse(`${at}: ${host} does not exist`);
    const readonly = flag === "ro";
    const problem = volumeProblem(plan, source, readonly);
    if (problem !== undefined) return { ok: false, code: "SRT564", message: `${at} ${JSON.stringify(v)}: ${problem}` };
    volumes.push({ source, target, readonly });
    shown.push(`docker volume: ${source} at ${target}${readonly ? ", read-only" : ", writable"} (${at})`);
  }

  return {
    ok: true,
    choices: {
      ...(image === undefined ? {} : { image }),
      ...(name === undefined ? {} : { name }),
      ...(workdir === undefined ? {} : { workdir }),
      ...(user === undefined ? {} : { user }),
      env,
      volumes,
      networkMode: mode,
      autoRemove,
    },
    shown,
  };
}

/** Why a volume of `source` would open what the policy keeps closed, or undefined. */
export function volumeProblem(plan: OciPlan, source: string, readonly: boolean): string | undefined {
  const state = plan.context.stateDir;
  if (isWithin(source, state) || isWithin(state, source))
    return `it reaches srt's state directory ${state}, which every sandbox hides`;
  const ops = plan.oci.mounts.ops;
  // What the policy makes of the source itself: the last mount that covers it.
  let last: (typeof ops)[number] | undefined;
  for (const op of ops) if (op.op !== "remount-ro" && isWithin(source, op.path)) last = op;
  if (last !== undefined && last.op !== "bind") return `${source} is hidden by the policy (${last.path})`;
  if (!readonly && (last === undefined || !last.writable))
    return `${source} is not writable under the policy: a writable volume would make it so (add ":ro", or allow writing it in filesystem.allowWrite)`;
  for (const op of ops) {
    if (op.path === source || !isWithin(op.path, source)) continue;
    if (op.op === "mask-dir" || op.op === "mask-file")
      return `${op.path}, below it, is hidden by the policy; the volume would show it`;
    if (!readonly && (op.op === "remount-ro" || (op.op === "bind" && !op.writable)))
      return `${op.path}, below it, is read-only under the policy; the volume would make it writable`;
  }
  return undefined;
}
