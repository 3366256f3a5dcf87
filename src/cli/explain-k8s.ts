/**
 * `srt explain --target k8s`: what the policy becomes on a cluster, in words —
 * what holds as on a laptop, and where a pod is weaker (or stricter), from the
 * k8s backend's own diagnostics plus the facts of any cluster.
 */
import { showBytes } from "../compiler/byte-paths.js";
import type { Policy } from "../compiler/ir.js";
import { defaultK8sOptions, lowerK8s } from "../backends/k8s/index.js";
import type { SeccompArch } from "../backends/seccomp/index.js";

export function explainK8s(policy: Policy, arch: SeccompArch): string {
  const a = lowerK8s(policy, defaultK8sOptions(), arch);
  const egress = a.objects.some((o) => (o as { kind: string }).kind === "Deployment")
    ? "only to srt proxy, its own Deployment, which decides each connection with the same rules and resolved-address guard as a local run"
    : a.objects.some((o) => (o as { kind: string }).kind === "CiliumNetworkPolicy")
      ? "to the allowed names through Cilium's toFQDNs"
      : "none: no host is allowed, so the pod may send nothing out";
  const lines = [
    "",
    "On a Kubernetes cluster (srt compile --target k8s):",
    "  holds as on this machine:",
    "    · the command runs as a non-root user with no capabilities and no privilege escalation",
    "    · the root file system is read-only; only the writable directories are volumes, and protected names in them are read-only mounts",
    "    · unreadable paths are empty read-only mounts",
    `    · the seccomp profile comes from the same rule table (${a.seccomp.syscalls.length} entries); it must be on every node`,
    `    · egress: ${egress}`,
    "  depends on the cluster:",
    "    · NetworkPolicy is enforced only by a network plugin that implements it (Calico, Cilium, …); without one the pod can reach anything",
    "    · a pod that names a seccomp profile missing on its node does not start (fail closed)",
    "    · writable directories start empty (emptyDir) or hold what the claim holds (PVC), not this machine's files",
  ];
  if (a.diagnostics.length > 0)
    lines.push(
      "  differs from a local run:",
      ...a.diagnostics.map((d) => `    · ${d.severity} ${d.code}: ${showBytes(d.message)}`),
    );
  return lines.join("\n") + "\n";
}
