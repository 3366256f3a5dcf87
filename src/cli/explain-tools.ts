/**
 * `srt explain`'s account of the host programs a Linux run would start: the
 * paths found by the host-tools rule (system directories only, never PATH),
 * and whether this policy would be refused because its command could change
 * one of them. Only on a Linux machine: elsewhere there is nothing to find.
 */
import { hostWritesOf, lowerBwrap } from "../backends/bwrap/index.js";
import type { Policy } from "../compiler/index.js";
import { chosenTools, findTools, toolsExposed } from "../runtime/linux/index.js";
import { chooseShell } from "../runtime/shell.js";

export function explainTools(p: Policy, platform: NodeJS.Platform): string[] {
  if (platform !== "linux") return [];
  const out = [
    "",
    "Host programs srt starts outside the sandbox (from root-owned system directories, never from PATH):",
  ];
  const chosen: Partial<Record<string, string>> = chosenTools(p);
  const found = findTools(true, undefined, process.getuid?.() === 0, chosen);
  if (!found.ok) return [...out, `  ${found.message}`];
  for (const t of found.found)
    out.push(
      `    ${t.name}: ${t.path}${t.real === t.path ? "" : ` -> ${t.real}`}${["setpriv", "nsenter", "socat"].includes(t.name) ? " (network access only)" : ""}${chosen[t.name] === undefined ? "" : ` (${t.name}Path in the settings)`}`,
    );
  const bridge = found.tools.bridge;
  out.push(
    bridge !== undefined && "native" in bridge
      ? `    proxy bridge: ${bridge.native} (srt's own srt-bridge; network access only)`
      : "    proxy bridge: socat through setpriv and nsenter (srt-bridge is not built; network access only)",
  );
  const exposed = toolsExposed(found.found, hostWritesOf(lowerBwrap(p).mounts.ops, p.context.stateDir));
  if (exposed !== undefined) out.push(`  ✗ a run of this policy is refused: ${exposed}`);
  return out;
}

/** Which shell `srt -c` and `srt -- cmd` would run under here (runtime/shell.ts), for `srt explain`. */
export function explainShell(target: "linux" | "macos", platform: NodeJS.Platform): string[] {
  if ((target === "linux") !== (platform === "linux") || (target === "macos") !== (platform === "darwin")) return [];
  const chosen = chooseShell(undefined);
  return [
    "",
    chosen.ok
      ? `Commands run under ${chosen.shell.path} (${chosen.shell.why}): \`srt -c STRING\` as \`${chosen.shell.path} -c STRING\`, \`srt -- cmd args…\` through a launcher that execs cmd (exit 127 if it is not found, 126 if it cannot be run)`
      : `Commands cannot run: ${chosen.message}`,
  ];
}
