/**
 * The k8s backend: every object it emits for every fixture passes the official
 * Kubernetes (and Cilium) OpenAPI schemas offline, and the mapping keeps the
 * bwrap backend's meaning — writable only in writable roots, protected names
 * held read-only, unreadable paths hidden — or says (SRT640–SRT643) where a
 * pod differs. Field-name typos are caught at compile time: the generator is
 * typed against kubernetes-types.
 */
import { describe, expect, it } from "vitest";
import type { Pod, VolumeMount } from "kubernetes-types/core/v1.js";
import { ConfigMap, Pod as PodModel, Service } from "kubernetes-models/v1";
import { Deployment } from "kubernetes-models/apps/v1";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { CiliumNetworkPolicy } from "@kubernetes-models/cilium/cilium.io/v2";
import { parseAllDocuments } from "yaml";
import { compileSettings, type Policy } from "../../src/compiler/index.js";
import { defaultK8sOptions, lowerK8s, renderK8s, type K8sOptions } from "../../src/backends/k8s/index.js";
import { compileFixture, listFixtures, loadFixture } from "../support/fixtures.js";
import { createFixtureHost, type FixtureFs } from "../support/fixture-host.js";

const models: Record<string, new (o: never) => { validate(): void }> = {
  "v1/Pod": PodModel,
  "v1/ConfigMap": ConfigMap,
  "v1/Service": Service,
  "apps/v1/Deployment": Deployment,
  "networking.k8s.io/v1/NetworkPolicy": NetworkPolicy,
  "cilium.io/v2/CiliumNetworkPolicy": CiliumNetworkPolicy,
};

/** The Security Profiles Operator's CRD is not in the packages: its fields are checked here. */
function checkSeccompProfile(o: Record<string, unknown>): void {
  const spec = o.spec as { defaultAction: string; architectures: string[]; syscalls: Record<string, unknown>[] };
  expect(Object.keys(spec).sort()).toEqual(["architectures", "defaultAction", "syscalls"]);
  expect(spec.defaultAction).toBe("SCMP_ACT_ALLOW");
  for (const s of spec.syscalls) {
    expect(Object.keys(s).every((k) => ["names", "action", "errnoRet", "args"].includes(k))).toBe(true);
    for (const a of (s.args ?? []) as Record<string, unknown>[]) expect(a.op).toBe("SCMP_CMP_MASKED_EQ");
  }
}

function validateAll(objects: readonly object[]): void {
  for (const o of objects as Record<string, unknown>[]) {
    const key = `${String(o.apiVersion)}/${String(o.kind)}`;
    if (o.kind === "SeccompProfile") {
      checkSeccompProfile(o);
      continue;
    }
    const Model = models[key];
    expect(Model, key).toBeDefined();
    expect(() => new Model!(o as never).validate(), key).not.toThrow();
  }
}

const variants: readonly [string, Partial<K8sOptions>][] = [
  ["proxy, emptyDir", {}],
  ["proxy by ClusterIP, PVC", { volumes: { kind: "pvc", claimName: "work" }, proxyClusterIP: "10.96.0.53" }],
  ["cilium", { egress: "cilium", namespace: "agents" }],
];

// Settings with errors lower to nothing: only fixtures with a policy get a test (none is skipped).
const withPolicy = listFixtures().flatMap((name) => {
  const policy = compileFixture(loadFixture(name)).policy;
  return policy === undefined ? [] : [[name, policy] as const];
});

describe.each(withPolicy)("fixture %s", (_name, policy) => {
  it.each(variants)("validates against the official schemas (%s)", (_, extra) => {
    const a = lowerK8s(policy, { ...defaultK8sOptions(), ...extra }, "x86_64");
    validateAll(a.objects);
    // The text is the same objects: what a reviewer reads is what kubectl applies.
    const docs = parseAllDocuments(renderK8s(a)).map((d) => d.toJS() as object);
    expect(docs).toEqual(a.objects);
  });
});

const env = { cwd: "/h/p", home: "/h" };
function policyOf(settings: object, fs: FixtureFs = { dirs: ["/h/p"] }): Policy {
  const r = compileSettings({
    text: JSON.stringify(settings),
    file: "/etc/srt.json",
    host: createFixtureHost(fs, env),
    target: "linux",
  });
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return r.policy!;
}
const podOf = (objects: readonly object[]): Pod => objects.find((o) => (o as Pod).kind === "Pod") as Pod;
const mountsOf = (objects: readonly object[]): VolumeMount[] => podOf(objects).spec!.containers[0]!.volumeMounts!;
const mountAt = (objects: readonly object[], path: string): VolumeMount | undefined =>
  mountsOf(objects).find((m) => m.mountPath === path);
const lower = (p: Policy, extra: Partial<K8sOptions> = {}) =>
  lowerK8s(p, { ...defaultK8sOptions(), ...extra }, "x86_64");

describe("file system", () => {
  const p = policyOf(
    { filesystem: { allowWrite: ["/h/p"], denyRead: ["/h/.ssh", "/h/p/secret.txt"], denyWrite: ["/h/p/locked"] } },
    { dirs: ["/h/p/locked", "/h/.ssh", "/h/p/.git/hooks"], files: ["/h/p/secret.txt", "/h/p/.npmrc"] },
  );
  const a = lower(p);

  it("a writable root is a volume; everything else is the read-only root", () => {
    const pod = podOf(a.objects);
    expect(pod.spec!.containers[0]!.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
    });
    expect(mountAt(a.objects, "/h/p")).toEqual({ name: "write-0", mountPath: "/h/p" });
    expect(mountAt(a.objects, "/tmp")).toEqual({ name: "tmp", mountPath: "/tmp" });
    expect(pod.spec!.automountServiceAccountToken).toBe(false);
    expect(pod.spec!.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "Localhost" } });
  });

  it("denyWrite and protected names inside it are read-only mounts of the same volume, files from the ConfigMap", () => {
    expect(mountAt(a.objects, "/h/p/locked")).toEqual({
      name: "write-0",
      mountPath: "/h/p/locked",
      subPath: "locked",
      readOnly: true,
    });
    expect(mountAt(a.objects, "/h/p/.git/hooks")).toMatchObject({ subPath: ".git/hooks", readOnly: true });
    expect(mountAt(a.objects, "/h/p/.npmrc")).toMatchObject({ name: "held-file", readOnly: true });
    // The directory between the root and the protected hooks is pinned: a mount point cannot be renamed away.
    expect(mountAt(a.objects, "/h/p/.git")).toEqual({ name: "write-0", mountPath: "/h/p/.git", subPath: ".git" });
  });

  it("unreadable paths are hidden: an empty read-only directory, an unreadable empty file", () => {
    expect(mountAt(a.objects, "/h/.ssh")).toEqual({ name: "hidden", mountPath: "/h/.ssh", readOnly: true });
    expect(mountAt(a.objects, "/h/p/secret.txt")).toMatchObject({ name: "hidden-file", readOnly: true });
    const pod = podOf(a.objects);
    expect(pod.spec!.volumes!.find((v) => v.name === "hidden-file")!.configMap!.items![0]!.mode).toBe(0);
  });

  it("git's commondir is held holding '.', as bwrap's placeholder does (git refuses an empty one)", () => {
    const g = lower(policyOf({ filesystem: { allowWrite: ["/h/p"] } }, { dirs: ["/h/p/.git/hooks"] }));
    const m = mountAt(g.objects, "/h/p/.git/commondir")!;
    const files = g.objects.find((o) => (o as { kind: string }).kind === "ConfigMap") as {
      data: Record<string, string>;
    };
    expect(files.data[m.subPath!]).toBe(".");
  });

  it("mounts come parents first, so each lands on top of the one that holds its mount point", () => {
    const paths = mountsOf(a.objects).map((m) => m.mountPath);
    for (const [i, p] of paths.entries())
      for (const q of paths.slice(i + 1)) expect(p.startsWith(`${q}/`), `${q} after ${p}`).toBe(false);
  });

  it("a read carve-out inside a hidden directory cannot be shown in a pod: it stays hidden, said by SRT641", () => {
    const c = lower(
      policyOf({ filesystem: { denyRead: ["/h"], allowRead: ["/h/docs"] } }, { dirs: ["/h/p", "/h/docs"] }),
    );
    expect(mountAt(c.objects, "/h")).toMatchObject({ name: "hidden", readOnly: true });
    expect(mountAt(c.objects, "/h/docs")).toBeUndefined();
    expect(c.diagnostics.map((d) => d.code)).toContain("SRT641");
  });

  it("a claim holds every writable root as a subPath", () => {
    const c = lower(p, { volumes: { kind: "pvc", claimName: "agent-work" } });
    expect(mountAt(c.objects, "/h/p")).toEqual({ name: "work", mountPath: "/h/p", subPath: "h/p" });
    expect(mountAt(c.objects, "/h/p/locked")).toMatchObject({ name: "work", subPath: "h/p/locked", readOnly: true });
    expect(podOf(c.objects).spec!.volumes).toContainEqual({
      name: "work",
      persistentVolumeClaim: { claimName: "agent-work" },
    });
  });
});

describe("egress", () => {
  const kinds = (objects: readonly object[]) => objects.map((o) => (o as { kind: string }).kind);

  it("no allowed host: no proxy, no DNS, a NetworkPolicy that allows no egress, no proxy variables", () => {
    const a = lower(policyOf({}));
    expect(kinds(a.objects)).not.toContain("Deployment");
    const np = a.objects.find((o) => (o as { kind: string }).kind === "NetworkPolicy") as {
      spec: { egress: unknown[]; ingress: unknown[]; policyTypes: string[] };
    };
    expect(np.spec).toMatchObject({ egress: [], ingress: [], policyTypes: ["Ingress", "Egress"] });
    expect(podOf(a.objects).spec!.containers[0]!.env!.map((e) => e.name)).toEqual(["HOME", "TMPDIR"]);
  });

  it("proxy: srt proxy gets exactly the stated rules; the pod may reach only the proxy (and DNS, said)", () => {
    const a = lower(
      policyOf({ network: { allowedDomains: ["github.com", "*.npmjs.org"], deniedDomains: ["evil.npmjs.org"] } }),
    );
    expect(kinds(a.objects)).toEqual(expect.arrayContaining(["ConfigMap", "Deployment", "Service", "NetworkPolicy"]));
    const settings = a.objects.find(
      (o) => (o as { metadata: { name: string } }).metadata.name === "srt-sandbox-proxy-settings",
    ) as {
      data: Record<string, string>;
    };
    expect(JSON.parse(settings.data["settings.json"]!)).toEqual({
      network: { allowedDomains: ["github.com", "*.npmjs.org"], deniedDomains: ["evil.npmjs.org"] },
    });
    const env = Object.fromEntries(podOf(a.objects).spec!.containers[0]!.env!.map((e) => [e.name, e.value]));
    expect(env.HTTPS_PROXY).toBe("http://srt-sandbox-proxy:3128");
    expect(env.ALL_PROXY).toBe("socks5h://srt-sandbox-proxy:1080");
    expect(a.diagnostics.find((d) => d.code === "SRT643")?.message).toMatch(/DNS/);
    // Addressed by IP, the pod needs no DNS at all.
    const byIp = lower(policyOf({ network: { allowedDomains: ["github.com"] } }), { proxyClusterIP: "10.96.0.53" });
    const np = byIp.objects.find(
      (o) => (o as { metadata: { name: string } }).metadata.name === "srt-sandbox-isolation",
    ) as {
      spec: { egress: { ports: { port: number }[] }[] };
    };
    expect(np.spec.egress.flatMap((e) => e.ports.map((p) => p.port))).toEqual([3128, 1080]);
    expect(byIp.diagnostics.map((d) => d.code)).not.toContain("SRT643");
  });

  it("cilium: toFQDNs from the allow list; a deny carved out of an allow is refused (SRT642), not dropped", () => {
    const ok = lower(policyOf({ network: { allowedDomains: ["github.com", "registry.npmjs.org:443"] } }), {
      egress: "cilium",
    });
    const cnp = ok.objects.find((o) => (o as { kind: string }).kind === "CiliumNetworkPolicy") as {
      spec: { egress: Record<string, unknown>[] };
    };
    expect(cnp.spec.egress).toContainEqual({ toFQDNs: [{ matchName: "github.com" }] });
    expect(cnp.spec.egress).toContainEqual({
      toFQDNs: [{ matchName: "registry.npmjs.org" }],
      toPorts: [{ ports: [{ port: "443", protocol: "TCP" }] }],
    });
    expect(ok.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const carved = lower(
      policyOf({ network: { allowedDomains: ["*.example.com"], deniedDomains: ["evil.example.com", "other.org"] } }),
      { egress: "cilium" },
    );
    const errors = carved.diagnostics.filter((d) => d.severity === "error");
    expect(errors.map((d) => d.code)).toEqual(["SRT642"]);
    expect(errors[0]!.message).toContain("evil.example.com");
  });

  it("loopback and unix sockets mean nothing in a pod: SRT640 each", () => {
    const a = lower(
      policyOf({ network: { allowedDomains: ["localhost:3000", "github.com"], allowUnixSockets: ["/run/x.sock"] } }),
    );
    const msgs = a.diagnostics.filter((d) => d.code === "SRT640").map((d) => d.message);
    expect(msgs.some((m) => m.includes("localhost:3000"))).toBe(true);
    expect(msgs.some((m) => m.includes("/run/x.sock"))).toBe(true);
  });
});
