/**
 * Every backend in one table, as Rollup keeps one finaliser per output
 * format: `lower` turns the policy IR into the backend's artifact (pure), and
 * `render` turns the artifact into the text `srt compile --emit` prints and
 * the goldens hold. `srt compile`, the golden tests and the library read this
 * table instead of wiring backends by hand, so a new backend is one entry.
 */
import type { Target } from "../compiler/compile.js";
import type { Policy } from "../compiler/ir.js";
import { lowerBwrap, renderBwrap, type BwrapArtifact } from "./bwrap/index.js";
import { lowerLinuxPlan, renderLinuxPlan, type LinuxPlan } from "./bwrap/plan.js";
import {
  compiledProxyPorts,
  lowerSeatbelt,
  renderSeatbelt,
  type ProxyPorts,
  type SeatbeltProfile,
} from "./seatbelt/index.js";
import { lowerOci, renderOci, type OciArtifact, type RootEntry } from "./oci/index.js";
import { disassembleSeccomp, lowerSeccomp, type SeccompArch, type SeccompProgram } from "./seccomp/index.js";
import { defaultK8sOptions, lowerK8s, renderK8s, type K8sArtifact, type K8sOptions } from "./k8s/index.js";

/** What lowering needs besides the IR, per target: facts about the machine or the run. */
export interface TargetOptions {
  /** The architecture of the machine that will run the plan (the seccomp filter is per ABI). */
  readonly linux: {
    readonly arch: SeccompArch;
    /** The host's top-level entries, for the OCI bundle's skeleton root (only the oci backend reads it). */
    readonly root?: readonly RootEntry[];
    /** Names, images and choices for the Kubernetes objects (only the k8s backend reads it; default: defaultK8sOptions()). */
    readonly k8s?: K8sOptions;
  };
  /** The ports of srt's proxies (default: compiledProxyPorts) and the log tag (default "srt"). */
  readonly macos: { readonly proxy?: ProxyPorts; readonly tag?: string };
}

export interface Backend<T extends Target, A> {
  readonly name: string;
  readonly target: T;
  /** The word `srt compile --emit` takes for this backend's text. */
  readonly emit: string;
  /** What the text is, in a few words. */
  readonly what: string;
  lower(policy: Policy, options: TargetOptions[T]): A;
  render(artifact: A): string;
}

const plan: Backend<"linux", LinuxPlan> = {
  name: "plan",
  target: "linux",
  emit: "plan",
  what: "the Linux run plan (bwrap argv, seccomp bytes, placeholders, network) that srt exec runs",
  lower: (policy, o) => lowerLinuxPlan(policy, o.arch),
  render: renderLinuxPlan,
};

const bwrap: Backend<"linux", BwrapArtifact> = {
  name: "bwrap",
  target: "linux",
  emit: "argv",
  what: "bubblewrap arguments, each with the rule it came from",
  lower: (policy) => lowerBwrap(policy),
  render: renderBwrap,
};

const seccomp: Backend<"linux", SeccompProgram> = {
  name: "seccomp",
  target: "linux",
  emit: "bpf",
  what: "the seccomp program, disassembled",
  lower: (policy, o) => lowerSeccomp(policy, o.arch),
  render: disassembleSeccomp,
};

const oci: Backend<"linux", OciArtifact> = {
  name: "oci",
  target: "linux",
  emit: "oci",
  what: "the OCI runtime-spec bundle (config.json with its reasons, skeletons) that runc runs",
  lower: (policy, o) => {
    if (o.root === undefined) throw new Error("the OCI backend needs the host's top-level entries (options.root)");
    return lowerOci(policy, { arch: o.arch, root: o.root });
  },
  render: renderOci,
};

const k8s: Backend<"linux", K8sArtifact> = {
  name: "k8s",
  target: "linux",
  emit: "k8s",
  what: "Kubernetes objects: the sandbox Pod, its egress (srt proxy or Cilium), the seccomp profile",
  lower: (policy, o) => lowerK8s(policy, o.k8s ?? defaultK8sOptions(), o.arch),
  render: renderK8s,
};

const seatbelt: Backend<"macos", SeatbeltProfile> = {
  name: "seatbelt",
  target: "macos",
  emit: "sb",
  what: "the Seatbelt profile",
  lower: (policy, o) =>
    lowerSeatbelt(policy, {
      proxy: o.proxy ?? compiledProxyPorts(policy),
      ...(o.tag === undefined ? {} : { tag: o.tag }),
    }),
  render: renderSeatbelt,
};

/** In `srt compile --emit` order: a target's first backend is its default. */
export const backends = { plan, bwrap, seccomp, oci, k8s, seatbelt } as const;

export type BackendName = keyof typeof backends;
export type AnyBackend = (typeof backends)[BackendName];

export const backendsFor = (target: Target): AnyBackend[] => Object.values(backends).filter((b) => b.target === target);

/**
 * lower, then render. `options` is read only for the backend's own target,
 * so a getter there (the host's arch, say) is evaluated only when needed.
 */
export function lowerAndRender(backend: AnyBackend, policy: Policy, options: TargetOptions): string {
  // One generic call per target: the artifact lower returns is the one render gets.
  return backend.target === "linux"
    ? finish<"linux", unknown>(backend, policy, options.linux)
    : finish<"macos", unknown>(backend, policy, options.macos);
}

function finish<T extends Target, A>(backend: Backend<T, A>, policy: Policy, options: TargetOptions[T]): string {
  return backend.render(backend.lower(policy, options));
}
