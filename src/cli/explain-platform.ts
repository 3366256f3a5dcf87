/**
 * The target-specific part of `srt explain`: how the chosen backend enforces
 * the policy where that differs from the words above — what a weaker mode
 * gives up, rules the backend cannot apply, the variables that lead tools to
 * the proxies, and how the same policy means something else on the other
 * platform. Never silent: each of these is a review question.
 */
import { lowerBwrap, shownOrigins } from "../backends/bwrap/index.js";
import { platformDifferences } from "../backends/seatbelt/differences.js";
import type { Policy, Target } from "../compiler/index.js";
import { directLoopback, explainProxyEnvironment } from "../runtime/proxy/environment.js";
import { sandboxPorts } from "../runtime/linux/network.js";

export function explainPlatform(p: Policy, target: Target): string[] {
  const out: string[] = [];
  if (target === "linux") {
    const b = lowerBwrap(p);
    out.push("", "Enforcement on Linux (bubblewrap + seccomp; `srt compile --emit argv|bpf` shows both):");
    if (b.weakened.length > 0)
      out.push(
        `  enableWeakerNestedSandbox gives up (${p.options.enableWeakerNestedSandbox.origin}):`,
        ...b.weakened.map((w) => `    - ${w}`),
      );
    if (b.notes.length > 0)
      out.push(
        "  not applied:",
        ...b.notes.map((n) => `    · ${JSON.stringify(n.path)}: ${n.note}  ← ${shownOrigins(n.origin)}`),
      );
    const holders = b.mounts.placeholders.length;
    if (holders > 0)
      out.push(
        `  ${holders} protected path${holders === 1 ? "" : "s"} in writable directories must exist during a run; missing ones are created empty and removed afterwards`,
      );
    if (b.weakened.length === 0 && b.notes.length === 0 && holders === 0)
      out.push("  every rule above is applied as written");
    out.push(
      "  srt's supervisor (dist/native/srt-supervise) holds the seccomp filter's listener: it refuses protected names created at any depth and reports every refused write; a run without it, or on a kernel without the listener, is refused (SRT510, SRT511)",
      "  Landlock is a second wall (writes only below the writable directories and $TMPDIR) where the kernel has Landlock ABI 2 or newer; without it that wall is off and the mounts and the supervisor still hold (`srt doctor` says which)",
    );
  }
  const reachable = p.network.rules.some((r) => r.effect === "allow") || (p.network.mitmProxy?.domains.length ?? 0) > 0;
  if (reachable) {
    out.push("", "Inside the sandbox, tools find the proxies through:");
    for (const v of explainProxyEnvironment({
      httpPort: sandboxPorts.http,
      socksPort: sandboxPorts.socks,
      noProxy: directLoopback(p.network),
    })) {
      out.push(`    ${v.name}=${v.value}`, `      ${v.why}`);
    }
  } else {
    out.push("", "No proxies are started: nothing may be reached, so no proxy variables are set.");
  }
  const diffs = platformDifferences(p, target);
  if (diffs.length > 0)
    out.push(
      "",
      `Where this policy means something else on ${target === "linux" ? "macOS" : "Linux"}:`,
      ...diffs.map((d) => `  - ${d}`),
    );
  return out;
}
