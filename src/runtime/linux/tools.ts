/**
 * The host programs a Linux run starts, found once per run by the rule in
 * ../host-tools.ts (system directories only, root-owned all the way; PATH is
 * never consulted). A missing one is a runtime failure with the package that
 * provides it, never a reason to run with less isolation. A found one that the
 * plan's own command could replace is refused too: a later run would start
 * the replacement outside any sandbox.
 */
import { writableRootOf, type HostWrites } from "../../backends/bwrap/index.js";
import type { BridgeTools } from "./bridge.js";
import { findNative, missingNativeMessage } from "../native.js";
import {
  locateTool,
  missingToolsMessage,
  nodeToolFs,
  resolveTrusted,
  systemToolDirs,
  type FoundTool,
  type ToolFs,
  type ToolLookup,
} from "../host-tools.js";

export interface LinuxTools {
  readonly bwrap: string;
  /** The watchdog's shell. */
  readonly sh: string;
  /** The proxy bridge's programs: looked up, and present, exactly when the plan has network access. */
  readonly bridge?: BridgeTools;
  /**
   * Root runs: bwrap starts under `unshare --mount --propagation private`, so
   * that mounts the host makes during the run never propagate into the
   * sandbox (see spawn-bwrap.ts). Looked up, and present, exactly for root.
   */
  readonly unshare?: string;
  /** srt's own in-sandbox supervisor, built from native/srt-supervise into srt's package (never PATH). */
  readonly supervisor: string;
}

export const toolPackages: Readonly<Record<string, string>> = {
  unshare: "util-linux",
  bwrap: "bubblewrap",
  sh: "dash",
  setpriv: "util-linux",
  nsenter: "util-linux",
  socat: "socat",
};

/** The settings' bwrapPath / socatPath as findTools takes them (from a policy or a plan). */
export const chosenTools = (o: {
  readonly hostTools?: Readonly<Partial<Record<"bwrap" | "socat", { readonly path: string }>>> | undefined;
}): Partial<Record<"bwrap" | "socat", string>> =>
  Object.fromEntries(Object.entries(o.hostTools ?? {}).map(([k, t]) => [k, t.path]));

export type ToolsResult =
  | { readonly ok: true; readonly tools: LinuxTools; readonly found: readonly FoundTool[] }
  /** SRT510: srt's own native helper is not built; SRT500: a host tool is missing. */
  | { readonly ok: false; readonly message: string; readonly code: "SRT500" | "SRT510" };

/**
 * `chosen`: the settings' bwrapPath / socatPath (absolute). Such a path replaces the look-up for
 * that program, with the same trust rule (root-owned all the way, executable); one that fails is
 * refused with the reason, and srt does not fall back to looking elsewhere (as the reference tool).
 */
export function findTools(
  needNetwork: boolean,
  fs: ToolFs = nodeToolFs,
  asRoot = false,
  chosen: Readonly<Partial<Record<"bwrap" | "socat", string>>> = {},
  native: (name: string) => string | undefined = findNative,
): ToolsResult {
  const supervisor = native("srt-supervise");
  if (supervisor === undefined)
    return {
      ok: false,
      code: "SRT510",
      message: missingNativeMessage("srt-supervise", "every Linux run (it holds the seccomp filter's listener)"),
    };
  // srt's own bridge when built; socat's chain only when it is not (bridge.ts says which).
  const bridge = needNetwork ? native("srt-bridge") : undefined;
  const names = [
    ...(asRoot ? ["bwrap", "sh", "unshare"] : ["bwrap", "sh"]),
    ...(needNetwork && bridge === undefined ? ["setpriv", "nsenter", "socat"] : []),
  ];
  for (const [name, path] of Object.entries(chosen)) {
    if (!names.includes(name)) continue;
    const r = resolveTrusted(path, fs);
    if (r.kind !== "ok")
      return {
        ok: false,
        code: "SRT500",
        message: `${path} (${name}Path in the settings) ${r.kind === "missing" ? "does not exist" : `is refused: ${r.why}`}; srt runs host programs only from files that nothing but root can change`,
      };
  }
  const locate = (n: string): ToolLookup => {
    const path = chosen[n as "bwrap" | "socat"];
    if (path === undefined) return locateTool(n, fs);
    const r = resolveTrusted(path, fs);
    return r.kind === "ok"
      ? { ok: true, tool: { name: n, path, real: r.real, depends: r.depends } }
      : { ok: false, name: n, rejected: [] };
  };
  const lookups = names.map(locate);
  const missing = lookups.flatMap((l) => (l.ok ? [] : [l]));
  if (missing.length > 0) {
    const pkgs = [...new Set(missing.map((m) => toolPackages[m.name]))].join(" ");
    return {
      ok: false,
      code: "SRT500",
      message:
        missingToolsMessage(missing, `apt-get install ${pkgs}`) +
        (needNetwork && bridge === undefined
          ? " (srt-bridge is not built, so the network proxy bridge needs socat, nsenter and setpriv)"
          : ""),
    };
  }
  const found = lookups.flatMap((l) => (l.ok ? [l.tool] : []));
  const path = (name: string): string => found.find((t) => t.name === name)!.path;
  const tools: LinuxTools = {
    supervisor: supervisor!,
    bwrap: path("bwrap"),
    sh: path("sh"),
    ...(asRoot ? { unshare: path("unshare") } : {}),
    ...(!needNetwork
      ? {}
      : bridge !== undefined
        ? { bridge: { native: bridge } }
        : { bridge: { setpriv: path("setpriv"), nsenter: path("nsenter"), socat: path("socat") } }),
  };
  return { ok: true, tools, found };
}

/**
 * Whether the plan's command could change what srt runs on the host: a tool,
 * anything its resolution passes through, or a system directory where a
 * planted file would be found first next time. Undefined when it cannot.
 */
export function toolsExposed(found: readonly FoundTool[], writes: HostWrites): string | undefined {
  for (const t of found) {
    for (const p of [...systemToolDirs, ...t.depends]) {
      const root = writableRootOf(writes, p);
      if (root === undefined) continue;
      const what =
        p === t.real
          ? `${t.real} (the ${t.name} srt runs on the host)`
          : systemToolDirs.includes(p)
            ? `${p} (where srt looks for host programs)`
            : `${p} (on the way to ${t.real}, the ${t.name} srt runs on the host)`;
      return `${what} lies in ${root}, which this policy makes writable: a sandboxed command could plant or replace a program there that srt would then run outside any sandbox. Remove ${root} from allowWrite, or allow narrower directories.`;
    }
  }
  return undefined;
}
