/**
 * `srt explain`'s Docker section: what `srt --runtime docker` (or a
 * --docker-* option) would do with this policy and the `docker` key, each
 * choice with its origin; a host network is said loudly. Nothing when the
 * key and the options are absent.
 */
import { lowerOciPlan } from "../backends/oci/index.js";
import type { Policy } from "../compiler/ir.js";
import { hostSeccompArch } from "../runtime/host-arch.js";
import { hostRootEntries } from "../runtime/oci/host-root.js";
import { dockerOptions, wantsDocker, type DockerFlags } from "./docker-options.js";
import { realpathSync } from "node:fs";

export function explainDocker(policy: Policy, settingsValue: unknown, flags: DockerFlags): string[] {
  const key =
    typeof settingsValue === "object" && settingsValue !== null && "docker" in settingsValue
      ? (settingsValue as { docker?: unknown }).docker
      : undefined;
  if (key === undefined && !wantsDocker(flags)) return [];
  const plan = lowerOciPlan(policy, hostSeccompArch(), hostRootEntries());
  const chosen = dockerOptions(settingsValue, flags, plan, (p) => {
    try {
      return realpathSync(p);
    } catch {
      return undefined;
    }
  });
  const head = wantsDocker(flags)
    ? "Docker (the --docker-* options run the command under Docker):"
    : "Docker (used when the command runs under srt --runtime docker or a --docker-* option):";
  if (!chosen.ok) return [head, `  refused: error ${chosen.code}: ${chosen.message}`];
  return [
    head,
    ...chosen.shown.map((l) => (l.includes("NOT FILTERED") ? `  !!! ${l} !!!` : `  ${l}`)),
    "  always: srt's supervisor as the container's first process (srt's seccomp program with its notify rules, the only filter: protected names refused wherever they are made, refused writes reported, unix sockets by path), no capabilities, no-new-privileges, a read-only root, no pull",
    "  TLS termination and masked credentials as under runc: the CA certificate and the masked files read-only in the container, sentinels in its environment",
  ];
}
