/**
 * The host programs an OCI run starts, found by the same rule as bwrap's
 * (../host-tools.ts: system directories, root-owned all the way, never PATH).
 */
import { locateTool, missingToolsMessage, nodeToolFs, type FoundTool, type ToolFs } from "../host-tools.js";
import { toolPackages } from "../linux/tools.js";
import { findNative, missingNativeMessage } from "../native.js";
import type { OciTools } from "./run.js";
import type { OciEngine } from "../../backends/oci/index.js";
import type { DockerTools } from "./docker.js";
import type { BridgeTools } from "../linux/bridge.js";

const packages: Readonly<Record<string, string>> = {
  ...toolPackages,
  runc: "runc",
  crun: "crun",
  docker: "docker.io",
  podman: "podman",
  sleep: "coreutils",
  ip: "iproute2",
};

export type OciToolsResult =
  | { readonly ok: true; readonly tools: OciTools; readonly found: readonly FoundTool[] }
  /** SRT510: srt's own supervisor is not built; SRT500: a host tool is missing. */
  | { readonly ok: false; readonly message: string; readonly code: "SRT500" | "SRT510" };

export function findOciTools(
  needNetwork: boolean,
  engine: OciEngine = "runc",
  fs: ToolFs = nodeToolFs,
  native: (name: string) => string | undefined = findNative,
): OciToolsResult {
  const supervisor = findSupervisor(native);
  if (typeof supervisor !== "string") return supervisor;
  const looked = lookUp(engine, needNetwork, fs, native);
  if (!looked.ok) return looked;
  const { found, path, bridge } = looked;
  const tools: OciTools = {
    runc: path(engine),
    engine,
    sh: path("sh"),
    sleep: path("sleep"),
    supervisor,
    ...bridge,
  };
  return { ok: true, tools, found };
}

export type DockerToolsResult =
  | { readonly ok: true; readonly tools: DockerTools; readonly found: readonly FoundTool[] }
  | { readonly ok: false; readonly message: string; readonly code: "SRT500" | "SRT510" };

/** The container's first program, as bwrap's (../linux/supervisor.ts): no run without it. */
function findSupervisor(
  native: (name: string) => string | undefined,
): string | { readonly ok: false; readonly code: "SRT510"; readonly message: string } {
  return (
    native("srt-supervise") ?? {
      ok: false,
      code: "SRT510",
      message: missingNativeMessage("srt-supervise", "every Linux run (it holds the seccomp filter's listener)"),
    }
  );
}

/** The Docker client and what the holder and the bridges need (src/runtime/oci/docker.ts). */
export function findDockerTools(
  engine: "docker" | "podman",
  needNetwork: boolean,
  fs: ToolFs = nodeToolFs,
  native: (name: string) => string | undefined = findNative,
  asRoot = false,
): DockerToolsResult {
  const supervisor = findSupervisor(native);
  if (typeof supervisor !== "string") return supervisor;
  // podman as root joins a network namespace srt makes (unshare, then ip brings its lo up) instead of a holder container.
  const nsHolder = engine === "podman" && asRoot && needNetwork;
  const looked = lookUp(engine, needNetwork, fs, native, nsHolder ? ["unshare", "ip"] : []);
  if (!looked.ok) return looked;
  const { found, path, bridge } = looked;
  const tools: DockerTools = {
    engine,
    docker: path(engine),
    sh: path("sh"),
    sleep: path("sleep"),
    supervisor,
    ...(nsHolder ? { netns: { unshare: path("unshare"), ip: path("ip") } } : {}),
    ...bridge,
  };
  return { ok: true, tools, found };
}

/**
 * The engine's client, sh and sleep, and the run's bridge: srt-bridge when built, else socat's
 * chain (as for bwrap, ../linux/tools.ts); none offline.
 */
function lookUp(
  engine: string,
  needNetwork: boolean,
  fs: ToolFs,
  native: (name: string) => string | undefined,
  more: readonly string[] = [],
):
  | {
      readonly ok: true;
      readonly found: readonly FoundTool[];
      readonly path: (name: string) => string;
      readonly bridge: { readonly bridge?: BridgeTools };
    }
  | { readonly ok: false; readonly code: "SRT500"; readonly message: string } {
  const nativeBridge = needNetwork ? native("srt-bridge") : undefined;
  const socat = needNetwork && nativeBridge === undefined;
  const names = [engine, "sh", "sleep", ...more, ...(socat ? ["setpriv", "nsenter", "socat"] : [])];
  const lookups = names.map((n) => locateTool(n, fs));
  const missing = lookups.flatMap((l) => (l.ok ? [] : [l]));
  if (missing.length > 0)
    return {
      ok: false,
      code: "SRT500",
      message: missingToolsMessage(
        missing,
        `apt-get install ${[...new Set(missing.map((m) => packages[m.name]))].join(" ")}`,
      ),
    };
  const found = lookups.flatMap((l) => (l.ok ? [l.tool] : []));
  const path = (name: string): string => found.find((t) => t.name === name)!.path;
  const bridge = !needNetwork
    ? {}
    : nativeBridge !== undefined
      ? { bridge: { native: nativeBridge } }
      : { bridge: { setpriv: path("setpriv"), nsenter: path("nsenter"), socat: path("socat") } };
  return { ok: true, found, path, bridge };
}
