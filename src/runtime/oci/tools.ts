/**
 * The host programs an OCI run starts, found by the same rule as bwrap's
 * (../host-tools.ts: system directories, root-owned all the way, never PATH).
 */
import { locateTool, missingToolsMessage, nodeToolFs, type FoundTool, type ToolFs } from "../host-tools.js";
import { toolPackages } from "../linux/tools.js";
import { findNative } from "../native.js";
import type { OciTools } from "./run.js";

const packages: Readonly<Record<string, string>> = { ...toolPackages, runc: "runc", sleep: "coreutils" };

export type OciToolsResult =
  | { readonly ok: true; readonly tools: OciTools; readonly found: readonly FoundTool[] }
  | { readonly ok: false; readonly message: string };

export function findOciTools(
  needNetwork: boolean,
  fs: ToolFs = nodeToolFs,
  native: (name: string) => string | undefined = findNative,
): OciToolsResult {
  // srt's own bridge when built; socat's chain only when it is not (as for bwrap, ../linux/tools.ts).
  const bridge = needNetwork ? native("srt-bridge") : undefined;
  const names = [
    "runc",
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
        `apt-get install ${[...new Set(missing.map((m) => packages[m.name]))].join(" ")}`,
      ),
    };
  const found = lookups.flatMap((l) => (l.ok ? [l.tool] : []));
  const path = (name: string): string => found.find((t) => t.name === name)!.path;
  const tools: OciTools = {
    runc: path("runc"),
    sh: path("sh"),
    sleep: path("sleep"),
    ...(!needNetwork
      ? {}
      : bridge !== undefined
        ? { bridge: { native: bridge } }
        : { bridge: { setpriv: path("setpriv"), nsenter: path("nsenter"), socat: path("socat") } }),
  };
  return { ok: true, tools, found };
}
