/**
 * What `srt compile --target k8s` needs besides the policy: names and images
 * the cluster knows, and two choices a platform team makes (where writable
 * directories live, how egress is enforced). Pure data; the CLI fills it from
 * flags with the defaults below.
 */
export interface K8sOptions {
  /** The sandbox pod's name (DNS-1123 label); the proxy's objects derive theirs from it. */
  readonly name: string;
  /** Omitted from the objects when undefined (kubectl -n chooses). */
  readonly namespace?: string;
  /** The image the sandboxed command runs in. */
  readonly image: string;
  /** The image that has srt installed, for the egress proxy (`srt proxy`). */
  readonly proxyImage: string;
  /** The command, as argv; undefined = the image's own entrypoint. */
  readonly command?: readonly string[];
  /** Writable directories: a fresh emptyDir per pod, or one named PersistentVolumeClaim holding them all. */
  readonly volumes: { readonly kind: "emptyDir" } | { readonly kind: "pvc"; readonly claimName: string };
  /**
   * Egress: "proxy" = srt proxy as its own Deployment + Service and NetworkPolicies that leave the
   * sandbox pod no other way out; "cilium" = a CiliumNetworkPolicy with toFQDNs (no proxy).
   */
  readonly egress: "proxy" | "cilium";
  /**
   * The proxy Service's fixed ClusterIP. With it the pod reaches the proxy by address and needs no
   * DNS at all; without it, the pod resolves the Service's name through the cluster DNS, which a
   * command can use to send data out in queries (DNS tunnelling).
   */
  readonly proxyClusterIP?: string;
  /** The uid/gid the command runs as (non-root). */
  readonly uid: number;
  readonly gid: number;
  /** Where the seccomp profile is on each node, relative to the kubelet's seccomp directory. */
  readonly seccompProfilePath: string;
}

export const proxyPorts = { http: 3128, socks: 1080 } as const;

/** A DNS-1123 label from any text: lower case, [a-z0-9-], at most 63 characters, alphanumeric at both ends. */
export function dnsLabel(text: string, fallback = "srt"): string {
  const s = text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 63)
    .replace(/-+$/g, "");
  return s === "" ? fallback : s;
}

export const defaultK8sOptions = (name = "srt-sandbox"): K8sOptions => ({
  name: dnsLabel(name),
  image: "debian:12-slim",
  proxyImage: "srt-proxy:latest",
  volumes: { kind: "emptyDir" },
  egress: "proxy",
  uid: 1000,
  gid: 1000,
  seccompProfilePath: `srt/${dnsLabel(name)}.json`,
});
