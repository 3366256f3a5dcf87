/**
 * The host programs a Linux run needs, found on PATH once. A missing one is a
 * runtime failure with the package that provides it, never a reason to run
 * with less isolation.
 */
import { accessSync, constants } from "node:fs";
import { join } from "node:path";

export interface LinuxTools {
  readonly bwrap: string;
  /** Only needed when the plan has network access (the proxy bridge). */
  readonly setpriv?: string;
  readonly nsenter?: string;
  readonly socat?: string;
}

export const toolPackages: Readonly<Record<string, string>> = { bwrap: "bubblewrap", setpriv: "util-linux", nsenter: "util-linux", socat: "socat" };

export function which(name: string, path: string | undefined): string | undefined {
  for (const dir of (path ?? "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin").split(":")) {
    if (dir === "") continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // next
    }
  }
  return undefined;
}

export type ToolsResult = { readonly ok: true; readonly tools: LinuxTools } | { readonly ok: false; readonly message: string };

export function findTools(needNetwork: boolean, path: string | undefined): ToolsResult {
  const names = needNetwork ? ["bwrap", "setpriv", "nsenter", "socat"] : ["bwrap"];
  const found: Record<string, string> = {};
  const missing: string[] = [];
  for (const n of names) {
    const p = which(n, path);
    if (p === undefined) missing.push(n);
    else found[n] = p;
  }
  if (missing.length > 0) {
    const pkgs = [...new Set(missing.map((m) => toolPackages[m]))].join(" ");
    return { ok: false, message: `${missing.join(", ")} not found on PATH${needNetwork ? " (the network proxy bridge needs socat, nsenter and setpriv)" : ""}; install with: apt-get install ${pkgs}` };
  }
  return { ok: true, tools: found as unknown as LinuxTools };
}
