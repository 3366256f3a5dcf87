/**
 * A k8s artifact as the text `srt compile --target k8s` prints and the goldens
 * hold: the diagnostics as comments on top (what a reviewer must know before
 * applying it), then one YAML document per object, in apply order.
 */
import { showBytes } from "../../compiler/byte-paths.js";
import { toYaml } from "./yaml.js";
import type { K8sArtifact } from "./lower.js";

export function renderK8s(a: K8sArtifact): string {
  const head = [
    `# srt: sandbox ${a.options.name} for Kubernetes (egress: ${a.options.egress}, writable directories: ${a.options.volumes.kind})`,
    `# The seccomp profile must be on every node at <kubelet seccomp dir>/${a.options.seccompProfilePath}`,
    "# (the SeccompProfile object below puts it there with the Security Profiles Operator), or the pod will not start.",
    ...(a.diagnostics.length === 0
      ? ["# Everything in the policy is expressed."]
      : [
          "# Not the same as a local run:",
          ...a.diagnostics.map((d) => `#   ${d.severity} ${d.code}: ${showBytes(d.message).replace(/\n/g, " ")}`),
        ]),
  ];
  const docs = a.objects.map((o) => yamlOf(o).trimEnd());
  return `${head.join("\n")}\n---\n${docs.join("\n---\n")}\n`;
}

/** The seccomp profile file for the nodes (JSON, with each entry's rule as a comment field runtimes ignore). */
export const renderK8sSeccomp = (a: K8sArtifact): string => JSON.stringify(a.seccomp, null, 2) + "\n";

/** Block style, except a seccomp profile's entries, one per line: hundreds of masked compares, read as rows. */
const yamlOf = (o: object): string => toYaml(o as Parameters<typeof toYaml>[0], new Set(["syscalls"]));
