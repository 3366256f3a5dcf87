/**
 * IR → the objects a cluster runs: the sandbox Pod, its egress (./egress.ts),
 * the ConfigMap that holds empty files for masks (./volumes.ts), and the
 * seccomp profile from the same rule table as the bwrap backend's BPF program
 * (../oci/seccomp.ts), both as the JSON a node's kubelet reads and as a
 * Security Profiles Operator `SeccompProfile` that distributes it.
 *
 * The pod is what srt can promise on a cluster: non-root, no capabilities, no
 * privilege escalation, a read-only root, no service-account token, no service
 * links, no host namespaces, the seccomp profile; writable only where the
 * policy says. What a cluster cannot express is a diagnostic on the artifact
 * (SRT640–SRT643), shown by `srt compile` and at the top of the YAML.
 */
import type { ConfigMap, Pod } from "kubernetes-types/core/v1.js";
import { diagnostic, sortDiagnostics, type Diagnostic } from "../../compiler/diagnostics.js";
import type { Policy } from "../../compiler/ir.js";
import { pointerOfOrigin } from "../../compiler/pointer.js";
import { lowerOciSeccomp, type OciSeccomp } from "../oci/seccomp.js";
import { seccompOptionsFromPolicy, type SeccompArch } from "../seccomp/index.js";
import { egressFor, sandboxLabels } from "./egress.js";
import type { K8sOptions } from "./options.js";
import { podFiles } from "./volumes.js";

export interface K8sArtifact {
  readonly options: K8sOptions;
  /** In apply order: what the pod needs exists before it. */
  readonly objects: readonly object[];
  /** The kubelet's profile file (`seccompProfilePath` below the kubelet's seccomp directory). */
  readonly seccomp: OciSeccomp;
  readonly diagnostics: readonly Diagnostic[];
}

/**
 * The policy's resource limits on a pod: memory and cpu as the container's limits (the kubelet's
 * cgroup), wall time as activeDeadlineSeconds. A pod has no per-pod process, file-size or
 * open-files limit: those are refused (SRT645), or said and dropped with bestEffort, as a local
 * run does with a limit the host cannot hold.
 */
function podLimits(policy: Policy): {
  readonly resources?: { limits: Record<string, string> };
  readonly deadline?: number;
  readonly diagnostics: Diagnostic[];
} {
  const l = policy.limits;
  const diagnostics: Diagnostic[] = [];
  const limits: Record<string, string> = {};
  if (l.memory) limits["memory"] = String(Math.floor(l.memory.value));
  if (l.cpu) limits["cpu"] = `${Math.max(1, Math.round(l.cpu.value * 1000))}m`;
  const cannot: [string, { readonly origin: string } | undefined, string][] = [
    ["pids", l.pids, "a pod's process limit is the node's (the kubelet's podPidsLimit), not the pod's"],
    ["fileSize", l.fileSize, "Kubernetes has no per-pod file-size limit"],
    ["openFiles", l.openFiles, "Kubernetes has no per-pod open-files limit (the container runtime's default applies)"],
  ];
  for (const [key, v, why] of cannot)
    if (v !== undefined)
      diagnostics.push(
        l.bestEffort.value
          ? diagnostic("SRT643", pointerOfOrigin(v.origin), {
              what: `limits.${key}`,
              why: `${why}; left out (bestEffort)`,
            })
          : diagnostic("SRT645", pointerOfOrigin(v.origin), { key, why }),
      );
  return {
    ...(Object.keys(limits).length === 0 ? {} : { resources: { limits } }),
    ...(l.wallTime ? { deadline: Math.max(1, Math.ceil(l.wallTime.value / 1000)) } : {}),
    diagnostics,
  };
}

export function lowerK8s(policy: Policy, o: K8sOptions, arch: SeccompArch): K8sArtifact {
  const files = podFiles(policy, o);
  const limits = podLimits(policy);
  const egress = egressFor(policy, o);
  // A pod has no srt supervisor: no notify rules, unix sockets all-or-nothing (as for runc).
  const seccomp = lowerOciSeccomp({
    ...seccompOptionsFromPolicy(policy, arch),
    supervised: false,
    unixSocketPaths: false,
  });
  const seccompProfile = { type: "Localhost", localhostProfile: o.seccompProfilePath } as const;
  const pod: Pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: o.name,
      ...(o.namespace === undefined ? {} : { namespace: o.namespace }),
      labels: sandboxLabels(o),
    },
    spec: {
      restartPolicy: "Never",
      ...(limits.deadline === undefined ? {} : { activeDeadlineSeconds: limits.deadline }),
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      hostNetwork: false,
      hostPID: false,
      hostIPC: false,
      shareProcessNamespace: false,
      securityContext: { runAsNonRoot: true, runAsUser: o.uid, runAsGroup: o.gid, fsGroup: o.gid, seccompProfile },
      containers: [
        {
          name: "sandbox",
          image: o.image,
          ...(o.command === undefined ? {} : { command: [...o.command] }),
          workingDir: policy.context.cwd,
          env: [{ name: "HOME", value: policy.context.home }, { name: "TMPDIR", value: "/tmp" }, ...egress.env],
          securityContext: {
            allowPrivilegeEscalation: false,
            privileged: false,
            readOnlyRootFilesystem: true,
            runAsNonRoot: true,
            capabilities: { drop: ["ALL"] },
            procMount: "Default",
            seccompProfile,
          },
          volumeMounts: [...files.mounts],
          ...(limits.resources === undefined ? {} : { resources: limits.resources }),
        },
      ],
      volumes: [...files.volumes],
    },
  };
  const emptyFiles: ConfigMap[] =
    files.fileMap === undefined
      ? []
      : [
          {
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: {
              name: files.fileMap.name,
              ...(o.namespace === undefined ? {} : { namespace: o.namespace }),
              labels: sandboxLabels(o),
            },
            data: { ...files.fileMap.data },
          },
        ];
  const profileObject = {
    apiVersion: "security-profiles-operator.x-k8s.io/v1beta1",
    kind: "SeccompProfile",
    metadata: { name: o.name, ...(o.namespace === undefined ? {} : { namespace: o.namespace }) },
    spec: {
      defaultAction: seccomp.defaultAction,
      architectures: [...seccomp.architectures],
      // The operator's schema has no comment field; the JSON file beside the YAML keeps them.
      syscalls: seccomp.syscalls.map(({ comment: _comment, ...s }) => s),
    },
  };
  return {
    options: o,
    objects: [profileObject, ...emptyFiles, ...egress.objects, pod],
    seccomp,
    diagnostics: sortDiagnostics([...files.diagnostics, ...egress.diagnostics, ...limits.diagnostics]),
  };
}
