/**
 * One golden file per backend, taken from the backend registry: a new backend
 * does not compile here until it is given a golden file (or `null`, with the
 * reason).
 */
import { backends, lowerAndRender, type BackendName, type TargetOptions } from "../../src/backends/registry.js";
import type { Policy } from "../../src/compiler/index.js";

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
  k8s: { file: "k8s.yaml", what: "Kubernetes objects (defaults: emptyDir, srt proxy egress), x86_64" },
  seatbelt: { file: "macos.sb", what: "Seatbelt profile (proxy ports 3128/1080, tag srt)" },
};

/** Fixed machine facts, so goldens do not depend on the machine that runs the tests. */
const options: TargetOptions = { linux: { arch: "x86_64" }, macos: { proxy: { httpPort: 3128, socksPort: 1080 } } };

export const goldenArtifacts: readonly GoldenArtifact[] = (Object.keys(backends) as BackendName[]).flatMap((name) => {
  const golden = goldens[name];
  return golden === null
    ? []
    : [{ ...golden, render: (policy: Policy) => lowerAndRender(backends[name], policy, options) }];
});
