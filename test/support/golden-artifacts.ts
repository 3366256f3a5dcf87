/**
 * One golden file per backend, taken from the backend registry: a new backend
 * does not compile here until it is given a golden file (or `null`, with the
 * reason).
 */
import { backends, lowerAndRender, type BackendName, type TargetOptions } from "../../src/backends/registry.js";
import type { Policy } from "../../src/compiler/index.js";
import type { RootEntry } from "../../src/backends/oci/index.js";
import { defaultK8sOptions, lowerK8s } from "../../src/backends/k8s/index.js";
import { showBytes } from "../../src/compiler/byte-paths.js";

export interface GoldenArtifact {
  readonly file: string;
  readonly what: string;
  readonly render: (policy: Policy) => string;
}

const goldens: Readonly<Record<BackendName, { readonly file: string; readonly what: string } | null>> = {
  // The plan is the bwrap arguments and the seccomp bytes (both golden below) plus base64 and the IR's own data.
  plan: null,
  bwrap: { file: "linux.bwrap.txt", what: "bubblewrap arguments" },
  seccomp: { file: "linux.bpf.txt", what: "seccomp program, x86_64" },
  oci: { file: "linux.oci.json", what: "OCI bundle for runc, x86_64 (root entries of a Debian host)" },
  k8s: {
    file: "k8s.yaml",
    what: "Kubernetes objects (defaults: emptyDir, srt proxy egress; then what --egress cilium would say), x86_64",
  },
  seatbelt: { file: "macos.sb", what: "Seatbelt profile (proxy ports 3128/1080, tag srt)" },
};

/** A Debian 12 host's `/` (merged /usr), so OCI goldens do not depend on the machine. */
export const debianRoot: readonly RootEntry[] = [
  ...["bin", "lib", "lib64", "sbin"].map((name) => ({ name, kind: "symlink" as const, target: `usr/${name}` })),
  ...[
    "boot",
    "dev",
    "etc",
    "home",
    "media",
    "mnt",
    "opt",
    "proc",
    "root",
    "run",
    "srv",
    "sys",
    "tmp",
    "usr",
    "var",
  ].map((name) => ({ name, kind: "dir" as const })),
].sort((a, b) => (a.name < b.name ? -1 : 1));

/** Fixed machine facts, so goldens do not depend on the machine that runs the tests. */
const options: TargetOptions = {
  linux: { arch: "x86_64", root: debianRoot },
  macos: { proxy: { httpPort: 3128, socksPort: 1080 } },
};

/**
 * The k8s golden also says what the other egress would make of the policy: whether a
 * CiliumNetworkPolicy could hold it is part of reviewing it for a cluster.
 */
function ciliumTrailer(policy: Policy): string {
  const d = lowerK8s(policy, { ...defaultK8sOptions(), egress: "cilium" }, "x86_64").diagnostics;
  return (
    "# With --egress cilium:\n" +
    (d.length === 0
      ? "#   everything is expressed\n"
      : d.map((x) => `#   ${x.severity} ${x.code}: ${showBytes(x.message)}\n`).join(""))
  );
}

export const goldenArtifacts: readonly GoldenArtifact[] = (Object.keys(backends) as BackendName[]).flatMap((name) => {
  const golden = goldens[name];
  if (golden === null) return [];
  const render = (policy: Policy) => lowerAndRender(backends[name], policy, options);
  return [{ ...golden, render: name === "k8s" ? (p: Policy) => render(p) + ciliumTrailer(p) : render }];
});
