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

const packages: Readonly<Record<string, string>> = { ...toolPackages, runc: "runc", crun: "crun", sleep: "coreutils" };

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
  // The container's first program, as bwrap's (../linux/supervisor.ts): no run without it.
  const supervisor = native("srt-supervise");
  if (supervisor === undefined)
    return {
      ok: false,
      code: "SRT510",
      message: missingNativeMessage("srt-supervise", "every Linux run (it holds the seccomp filter's listener)"),
    };
  // srt's own bridge when built; socat's chain only when it is not (as for bwrap, ../linux/tools.ts).
  const bridge = needNetwork ? native("srt-bridge") : undefined;
  const names = [
    engine,
    "sh",
    "sleep",
    ...(needNetwork && bridge === undefined ? ["setpriv", "nsenter", "socat"] : []),
  ];
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
  const tools: OciTools = {
    runc: path(engine),
    engine,
    sh: path("sh"),
    sleep: path("sleep"),
    supervisor,
    ...bridgeTools(needNetwork, bridge, path),
  };
  return { ok: true, tools, found };
}

export type DockerToolsResult =
  | { readonly ok: true; readonly tools: DockerTools; readonly found: readonly FoundTool[] }
  | { readonly ok: false; readonly message: string };

/** The Docker client and what the holder and the bridges need (src/runtime/oci/docker.ts). */
export function findDockerTools(
  engine: "docker" | "podman",
  needNetwork: boolean,
  fs: ToolFs = nodeToolFs,
  native: (name: string) => string | undefined = findNative,
): DockerToolsResult {
  const bridge = needNetwork ? native("srt-bridge") : undefined;
  const names = [
    engine,
    "sh",
    "sleep",
    ...(needNetwork && bridge === undefined ? ["setpriv", "nsenter", "socat"] : []),
  ];
  const lookups = names.map((n) => locateTool(n, fs));
  const missing = lookups.flatMap((l) => (l.ok ? [] : [l]));
  if (missing.length > 0)
    return {
      ok: false,
      message: missingToolsMessage(
        missing,
        `apt-get install ${[...new Set(missing.map((m) => ({ ...packages, docker: "docker.io", podman: "podman" })[m.name]))].join(" ")}`,
      ),
    };
  const found = lookups.flatMap((l) => (l.ok ? [l.tool] : []));
  const path = (name: string): string => found.find((t) => t.name === name)!.path;
  const tools: DockerTools = {
    engine,
    docker: path(engine),
    sh: path("sh"),
    sleep: path("sleep"),
    ...bridgeTools(needNetwork, bridge, path),
  };
  return { ok: true, tools, found };
}

/** The run's bridge: srt-bridge when built, else socat's chain (looked up above); none offline. */
function bridgeTools(
  needNetwork: boolean,
  bridge: string | undefined,
  path: (name: string) => string,
): { readonly bridge?: BridgeTools } {
  if (!needNetwork) return {};
  return bridge !== undefined
    ? { bridge: { native: bridge } }
    : { bridge: { setpriv: path("setpriv"), nsenter: path("nsenter"), socat: path("socat") } };
}
