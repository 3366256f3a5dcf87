/**
 * `srt compile --target k8s F [-o DIR]`: the Kubernetes objects for a policy.
 * The policy is compiled as for Linux (a pod runs Linux), then lowered by the
 * k8s backend with the names and choices given here. Without -o the YAML goes
 * to stdout; with -o DIR, DIR/srt.yaml and DIR/seccomp/<name>.json (the file
 * each node needs below the kubelet's seccomp directory).
 *
 * What a pod cannot express is printed as warnings; an error (a Cilium policy
 * that could not hold a deny) writes nothing and exits 2. The outputs are
 * write-protected in the policy they come from and written without following
 * a link at their names, like a plan: someone applies them later.
 */
import { lstatSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { defaultK8sOptions, dnsLabel, lowerK8s, renderK8s, renderK8sSeccomp } from "../backends/k8s/index.js";
import type { K8sOptions } from "../backends/k8s/index.js";
import { hostSeccompArch } from "../runtime/host-arch.js";
import { exitStatus, type CliIo } from "./io.js";
import { compileForCli } from "./policy-input.js";
import { writeOutput } from "./write-output.js";

export interface K8sArgs {
  readonly settings: string | undefined;
  readonly out?: string | undefined;
  readonly image?: string | undefined;
  readonly namespace?: string | undefined;
  readonly name?: string | undefined;
  readonly volumes?: string | undefined;
  readonly egress?: string | undefined;
  readonly proxyImage?: string | undefined;
  readonly proxyClusterIp?: string | undefined;
  readonly seccompProfile?: string | undefined;
}

/** The options the flags say, or the usage error. */
export function k8sOptions(a: K8sArgs): K8sOptions | string {
  const base = defaultK8sOptions(a.name ?? "srt-sandbox");
  if (a.name !== undefined && dnsLabel(a.name) !== a.name)
    return `--name ${a.name}: not a DNS-1123 label (lower-case letters, digits and '-'; e.g. ${dnsLabel(a.name)})`;
  if (a.namespace !== undefined && dnsLabel(a.namespace) !== a.namespace)
    return `--namespace ${a.namespace}: not a DNS-1123 label`;
  let volumes: K8sOptions["volumes"] = base.volumes;
  if (a.volumes !== undefined) {
    const pvc = /^pvc:([a-z0-9]([-a-z0-9.]*[a-z0-9])?)$/.exec(a.volumes);
    if (a.volumes === "emptyDir") volumes = { kind: "emptyDir" };
    else if (pvc) volumes = { kind: "pvc", claimName: pvc[1]! };
    else return `--volumes ${a.volumes}: use emptyDir or pvc:CLAIM-NAME`;
  }
  if (a.egress !== undefined && a.egress !== "proxy" && a.egress !== "cilium")
    return `--egress ${a.egress}: use proxy (srt proxy as a Deployment) or cilium (CiliumNetworkPolicy)`;
  if (a.proxyClusterIp !== undefined && !/^(\d{1,3}\.){3}\d{1,3}$|^[0-9a-f:]+$/i.test(a.proxyClusterIp))
    return `--proxy-cluster-ip ${a.proxyClusterIp}: not an IP address`;
  if (a.seccompProfile !== undefined && !/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*\.json$/.test(a.seccompProfile))
    return `--seccomp-profile ${a.seccompProfile}: a relative path of a .json file (e.g. operator/agents/agent-1.json)`;
  if (a.seccompProfile?.split("/").includes("..")) return `--seccomp-profile ${a.seccompProfile}: may not contain ".."`;
  return {
    ...base,
    ...(a.seccompProfile === undefined ? {} : { seccompProfilePath: a.seccompProfile }),
    ...(a.namespace === undefined ? {} : { namespace: a.namespace }),
    ...(a.image === undefined ? {} : { image: a.image }),
    ...(a.proxyImage === undefined ? {} : { proxyImage: a.proxyImage }),
    ...(a.proxyClusterIp === undefined ? {} : { proxyClusterIP: a.proxyClusterIp }),
    ...(a.egress === undefined ? {} : { egress: a.egress }),
    volumes,
  };
}

export function compileK8s(a: K8sArgs, io: CliIo): number {
  const options = k8sOptions(a);
  if (typeof options === "string") {
    io.err(`srt compile: ${options}\n`);
    return exitStatus.usage;
  }
  const dir = a.out === undefined ? undefined : resolve(io.cwd, a.out);
  const files =
    dir === undefined
      ? undefined
      : { yaml: join(dir, "srt.yaml"), seccomp: join(dir, "seccomp", `${options.name}.json`) };
  const { policy } = compileForCli(
    {
      settings: a.settings,
      ...(files === undefined
        ? {}
        : {
            outputs: [
              { path: files.yaml, rule: "plan-file" },
              { path: files.seccomp, rule: "plan-file" },
            ],
          }),
    },
    io,
    "linux",
  );
  if (policy === undefined) return exitStatus.usage;
  const artifact = lowerK8s(policy, options, hostSeccompArch());
  for (const d of artifact.diagnostics) io.err(`srt compile: ${d.severity} ${d.code}: ${d.message}\n`);
  if (artifact.diagnostics.some((d) => d.severity === "error")) {
    io.err("srt compile: nothing written: the policy cannot be enforced this way on a cluster\n");
    return exitStatus.usage;
  }
  const yaml = renderK8s(artifact);
  if (files === undefined || dir === undefined) {
    io.out(yaml);
    return exitStatus.ok;
  }
  for (const d of [dir, join(dir, "seccomp")]) {
    try {
      mkdirSync(d, { recursive: true, mode: 0o755 });
      if (!lstatSync(d).isDirectory()) throw new Error("not a directory");
    } catch (e) {
      io.err(`srt compile: ${d}: cannot use it as the output directory (${(e as Error).message})\n`);
      return exitStatus.runtime;
    }
  }
  for (const [path, text] of [
    [files.yaml, yaml],
    [files.seccomp, renderK8sSeccomp(artifact)],
  ] as const) {
    const failed = writeOutput(path, text);
    if (failed !== undefined) {
      io.err(`srt compile: ${path}: ${failed}\n`);
      return exitStatus.runtime;
    }
  }
  io.err(`srt compile: wrote ${files.yaml} and ${files.seccomp}\n`);
  return exitStatus.ok;
}
