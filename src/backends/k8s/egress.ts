/**
 * Network rules → how a pod's traffic leaves the cluster node. A
 * NetworkPolicy applies to a whole pod, so a proxy *sidecar* cannot be
 * enforced (the command shares the sidecar's network namespace and can dial
 * out past it). Two shapes that hold:
 *
 *   proxy  — srt's own proxy (`srt proxy`) as a Deployment + Service, given the
 *            policy's network rules in a ConfigMap; the sandbox pod may reach only
 *            that proxy (NetworkPolicy), and the proxy decides every connection as
 *            srt does on a laptop (same matcher, same resolved-address guard).
 *   cilium — a CiliumNetworkPolicy with toFQDNs from the allow list. No proxy hop,
 *            but Cilium allows by name only: a deny carved out of an allow cannot be
 *            said (refused: SRT642), and the resolved-address guard does not exist.
 *
 * Rules that mean something only on a laptop (loopback, unix sockets, binding
 * local ports) are diagnostics, never silently dropped.
 */
import type {
  NetworkPolicy as K8sNetworkPolicy,
  NetworkPolicyEgressRule,
  NetworkPolicyPeer,
} from "kubernetes-types/networking/v1.js";
import type { ConfigMap, EnvVar, Service } from "kubernetes-types/core/v1.js";
import type { Deployment } from "kubernetes-types/apps/v1.js";
import { diagnostic, type Diagnostic } from "../../compiler/diagnostics.js";
import { isLoopbackHost } from "../../compiler/domains/index.js";
import { pointerOfOrigin } from "../../compiler/pointer.js";
import type { HostPattern, NetRule, Policy } from "../../compiler/ir.js";
import { proxyVariables } from "../../runtime/proxy/environment.js";
import { proxyPorts, type K8sOptions } from "./options.js";

/** Labels that select the sandbox pod and the proxy pods of one policy. */
export const sandboxLabels = (o: K8sOptions) =>
  ({ "app.kubernetes.io/managed-by": "srt", "srt.dev/sandbox": o.name, "srt.dev/role": "sandbox" }) as const;
export const proxyLabels = (o: K8sOptions) =>
  ({ "app.kubernetes.io/managed-by": "srt", "srt.dev/sandbox": o.name, "srt.dev/role": "proxy" }) as const;

export interface Egress {
  /** Objects besides the pod: ConfigMap, Deployment, Service, NetworkPolicies, or the CiliumNetworkPolicy. */
  readonly objects: readonly object[];
  /** Variables for the sandbox container (the proxy's address). */
  readonly env: readonly EnvVar[];
  readonly diagnostics: readonly Diagnostic[];
}

const meta = (o: K8sOptions, name: string, labels: Record<string, string>) => ({
  name,
  ...(o.namespace === undefined ? {} : { namespace: o.namespace }),
  labels,
});

/** The cluster DNS, as most distributions label it; the only non-proxy destination the sandbox may reach. */
const clusterDns: NetworkPolicyPeer = {
  namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
  podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
};

/** Rules with no meaning in a pod: SRT640 each. */
function laptopOnly(policy: Policy): Diagnostic[] {
  const out: Diagnostic[] = [];
  const n = policy.network;
  for (const r of n.rules)
    if (r.effect === "allow" && isLoopbackHost(r.host))
      out.push(
        diagnostic("SRT640", pointerOfOrigin(r.origin), {
          rule: `allow ${r.source}`,
          why: "loopback is the pod's own; there is no host loopback to reach from a cluster",
        }),
      );
  for (const s of n.unixSockets)
    out.push(
      diagnostic("SRT640", pointerOfOrigin(s.origin), {
        rule: `allowUnixSockets ${s.path}`,
        why: "a pod has no host unix sockets; mount one as a volume deliberately if it is meant",
      }),
    );
  if (n.allowAllUnixSockets.value)
    out.push(
      diagnostic("SRT640", pointerOfOrigin(n.allowAllUnixSockets.origin), {
        rule: "allowAllUnixSockets",
        why: "a pod has no host unix sockets to reach; the seccomp profile still follows the setting",
      }),
    );
  if (n.allowLocalBinding.value)
    out.push(
      diagnostic("SRT640", pointerOfOrigin(n.allowLocalBinding.origin), {
        rule: "allowLocalBinding",
        why: "a pod listens on its own network namespace; ingress to it stays denied by the NetworkPolicy",
      }),
    );
  return out;
}

/** The rules the proxy is given: what the settings (or presets, or flags) said; srt's defaults apply there anyway. */
const statedRules = (policy: Policy): NetRule[] =>
  policy.network.rules.filter(
    (r) =>
      !r.origin.startsWith("default") &&
      !r.origin.startsWith("mandatory:") &&
      // Left out of the pod (laptopOnly says so): in the proxy's pod it would mean the proxy's own loopback.
      !(r.effect === "allow" && isLoopbackHost(r.host)),
  );

/** The pod's own NetworkPolicy: no ingress, and egress only to `to` (none: no network at all). */
const isolation = (o: K8sOptions, egress: NetworkPolicyEgressRule[]): K8sNetworkPolicy => ({
  apiVersion: "networking.k8s.io/v1",
  kind: "NetworkPolicy",
  metadata: meta(o, `${o.name}-isolation`, sandboxLabels(o)),
  spec: { podSelector: { matchLabels: sandboxLabels(o) }, policyTypes: ["Ingress", "Egress"], ingress: [], egress },
});

/** Hosts a pod could be allowed to reach (loopback means the pod's own, and is said by laptopOnly). */
const reachable = (policy: Policy): NetRule[] =>
  policy.network.rules.filter((r) => r.effect === "allow" && !isLoopbackHost(r.host));

/**
 * The policy allows no host: no proxy, no DNS, no egress at all. The command
 * sees connection failures at once, as in a local run without network.
 */
export function noEgress(policy: Policy, o: K8sOptions): Egress {
  return { objects: [isolation(o, [])], env: [], diagnostics: laptopOnly(policy) };
}

/** The egress the options choose, or none when nothing is allowed. */
export function egressFor(policy: Policy, o: K8sOptions): Egress {
  if (reachable(policy).length === 0) return noEgress(policy, o);
  return o.egress === "proxy" ? proxyEgress(policy, o) : ciliumEgress(policy, o);
}

export function proxyEgress(policy: Policy, o: K8sOptions): Egress {
  const name = `${o.name}-proxy`;
  const rules = statedRules(policy);
  const settings = {
    network: {
      allowedDomains: rules.filter((r) => r.effect === "allow").map((r) => r.source),
      deniedDomains: rules.filter((r) => r.effect === "deny").map((r) => r.source),
    },
  };
  const configMap: ConfigMap = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: meta(o, `${name}-settings`, proxyLabels(o)),
    data: { "settings.json": JSON.stringify(settings, null, 2) + "\n" },
  };
  const hardened = {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    privileged: false,
    runAsNonRoot: true,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  };
  const deployment: Deployment = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: meta(o, name, proxyLabels(o)),
    spec: {
      replicas: 1,
      selector: { matchLabels: proxyLabels(o) },
      template: {
        metadata: { labels: proxyLabels(o) },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: { runAsNonRoot: true, runAsUser: o.uid, runAsGroup: o.gid },
          containers: [
            {
              name: "srt-proxy",
              image: o.proxyImage,
              args: [
                "proxy",
                "--settings",
                "/etc/srt/settings.json",
                "--listen",
                `0.0.0.0:${proxyPorts.http}`,
                "--socks",
                `0.0.0.0:${proxyPorts.socks}`,
              ],
              ports: [
                { name: "http", containerPort: proxyPorts.http, protocol: "TCP" },
                { name: "socks", containerPort: proxyPorts.socks, protocol: "TCP" },
              ],
              readinessProbe: { tcpSocket: { port: "http" }, periodSeconds: 5 },
              securityContext: hardened,
              // srt compiles the whole settings file, file-system defaults included, for the working
              // directory: an empty one keeps that instant, and a home that does not exist keeps the
              // home-directory check from refusing it.
              workingDir: "/srv/srt-proxy",
              env: [{ name: "HOME", value: "/nonexistent" }],
              volumeMounts: [
                { name: "settings", mountPath: "/etc/srt", readOnly: true },
                { name: "work", mountPath: "/srv/srt-proxy" },
              ],
              resources: {
                requests: { cpu: "250m", memory: "96Mi" },
                limits: { memory: "512Mi" },
              },
            },
          ],
          volumes: [
            { name: "settings", configMap: { name: `${name}-settings` } },
            { name: "work", emptyDir: { sizeLimit: "1Mi" } },
          ],
        },
      },
    },
  };
  const service: Service = {
    apiVersion: "v1",
    kind: "Service",
    metadata: meta(o, name, proxyLabels(o)),
    spec: {
      selector: proxyLabels(o),
      ...(o.proxyClusterIP === undefined ? {} : { clusterIP: o.proxyClusterIP }),
      ports: [
        { name: "http", port: proxyPorts.http, targetPort: "http", protocol: "TCP" },
        { name: "socks", port: proxyPorts.socks, targetPort: "socks", protocol: "TCP" },
      ],
    },
  };
  const toProxy = {
    to: [{ podSelector: { matchLabels: proxyLabels(o) } }],
    ports: [
      { port: proxyPorts.http, protocol: "TCP" },
      { port: proxyPorts.socks, protocol: "TCP" },
    ],
  };
  const dns = {
    to: [clusterDns],
    ports: [
      { port: 53, protocol: "UDP" },
      { port: 53, protocol: "TCP" },
    ],
  };
  const sandboxPolicy = isolation(o, o.proxyClusterIP === undefined ? [toProxy, dns] : [toProxy]);
  const proxyPolicy: K8sNetworkPolicy = {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: meta(o, name, proxyLabels(o)),
    spec: {
      podSelector: { matchLabels: proxyLabels(o) },
      policyTypes: ["Ingress"],
      ingress: [
        {
          from: [{ podSelector: { matchLabels: sandboxLabels(o) } }],
          ports: toProxy.ports,
        },
      ],
    },
  };
  const host = o.proxyClusterIP ?? `${name}${o.namespace === undefined ? "" : `.${o.namespace}.svc.cluster.local`}`;
  const env = proxyVariables({ host, httpPort: proxyPorts.http, socksPort: proxyPorts.socks, noProxy: [] }).map(
    (v): EnvVar => ({ name: v.name, value: v.value }),
  );
  const diagnostics = laptopOnly(policy);
  if (o.proxyClusterIP === undefined)
    diagnostics.push(
      diagnostic("SRT643", "", {
        what: "DNS",
        why: `the pod may query the cluster DNS to find ${name}, and a command can carry data out in DNS queries; give --proxy-cluster-ip to address the proxy by IP and drop that allowance`,
      }),
    );
  return { objects: [configMap, deployment, service, sandboxPolicy, proxyPolicy], env, diagnostics };
}

/** Does any allow rule let through a connection this deny rule refuses? Then Cilium cannot say the deny. */
function denyOverlapsAllow(deny: NetRule, allows: readonly NetRule[]): boolean {
  const portsMeet = (a: NetRule) => a.port === undefined || deny.port === undefined || a.port === deny.port;
  const hostsMeet = (a: HostPattern, d: HostPattern): boolean => {
    if (a.kind === "any" || d.kind === "any") return true;
    if (a.kind === "name" && d.kind === "name") return a.name === d.name;
    if (a.kind === "subdomains" && d.kind === "name") return d.name.endsWith(`.${a.name}`);
    if (a.kind === "name" && d.kind === "subdomains") return a.name.endsWith(`.${d.name}`);
    if (a.kind === "subdomains" && d.kind === "subdomains")
      return a.name === d.name || a.name.endsWith(`.${d.name}`) || d.name.endsWith(`.${a.name}`);
    return (a.kind === "ipv4" || a.kind === "ipv6") && a.kind === d.kind && a.address === d.address;
  };
  return allows.some((a) => portsMeet(a) && hostsMeet(a.host, deny.host));
}

export function ciliumEgress(policy: Policy, o: K8sOptions): Egress {
  const diagnostics = laptopOnly(policy);
  const rules = policy.network.rules;
  const allows = reachable(policy);
  for (const d of rules.filter((r) => r.effect === "deny"))
    if (denyOverlapsAllow(d, allows))
      diagnostics.push(
        diagnostic("SRT642", pointerOfOrigin(d.origin), {
          rule: `deny ${d.source}`,
          why: "Cilium allows by name and cannot carve a deny out of an allowed name or port, so the deny would not hold",
        }),
      );
  const egress: object[] = [
    {
      // toFQDNs works only for names the pod resolved through Cilium's DNS proxy.
      toEndpoints: [{ matchLabels: { "k8s:io.kubernetes.pod.namespace": "kube-system", "k8s-app": "kube-dns" } }],
      toPorts: [{ ports: [{ port: "53", protocol: "ANY" }], rules: { dns: [{ matchPattern: "*" }] } }],
    },
  ];
  for (const a of allows) {
    const toPorts = a.port === undefined ? {} : { toPorts: [{ ports: [{ port: String(a.port), protocol: "TCP" }] }] };
    switch (a.host.kind) {
      case "name":
        egress.push({ toFQDNs: [{ matchName: a.host.name }], ...toPorts });
        break;
      case "subdomains":
        egress.push({ toFQDNs: [{ matchPattern: `*.${a.host.name}` }], ...toPorts });
        diagnostics.push(
          diagnostic("SRT641", pointerOfOrigin(a.origin), {
            path: `allow ${a.source}`,
            why: `Cilium's "*.${a.host.name}" matches one label below ${a.host.name}; deeper names that srt allows are refused`,
          }),
        );
        break;
      case "ipv4":
        egress.push({ toCIDR: [`${a.host.address}/32`], ...toPorts });
        break;
      case "ipv6":
        egress.push({ toCIDR: [`${a.host.address}/128`], ...toPorts });
        break;
      case "any":
        break; // "*" is a deny-list entry only (the compiler refuses it in allowedDomains)
    }
  }
  diagnostics.push(
    diagnostic("SRT643", "", {
      what: "resolved addresses",
      why: "with Cilium an allowed name may resolve to a private or cluster address and be reached; srt proxy refuses those (use --egress proxy to keep the guard)",
    }),
    diagnostic("SRT643", "", {
      what: "DNS",
      why: "the pod queries the cluster DNS directly (toFQDNs needs it), and a command can carry data out in DNS queries",
    }),
  );
  const cnp = {
    apiVersion: "cilium.io/v2",
    kind: "CiliumNetworkPolicy",
    metadata: meta(o, `${o.name}-egress`, sandboxLabels(o)),
    spec: { endpointSelector: { matchLabels: sandboxLabels(o) }, egress },
  };
  // Ingress and every other egress stay denied by a plain NetworkPolicy (policies add up: Cilium's rules are the only allowances).
  const base = isolation(o, []);
  return { objects: [base, cnp], env: [], diagnostics };
}
