/**
 * A Linux plan that runs under an OCI runtime: everything the bwrap plan
 * holds (placeholders, the mounts to watch, what the command may write, the
 * network policy, the env policy) plus the OCI artifact. The runtime phases
 * that do not depend on the engine are the same code for both.
 */
import type { Policy } from "../../compiler/ir.js";
import { lowerLinuxPlan, type LinuxPlan } from "../bwrap/plan.js";
import type { SeccompArch } from "../seccomp/syscalls.js";
import { lowerOci, type OciArtifact, type RootEntry } from "./lower.js";

/** The OCI runtimes srt starts itself (crun only where it runs: CONTAINERS.md, README). */
export type OciEngine = "runc" | "crun";

export interface OciPlan extends LinuxPlan {
  readonly engine: OciEngine;
  readonly oci: OciArtifact;
}

export const lowerOciPlan = (
  policy: Policy,
  arch: SeccompArch,
  root: readonly RootEntry[],
  engine: OciEngine = "runc",
): OciPlan => ({
  ...lowerLinuxPlan(policy, arch),
  engine,
  oci: lowerOci(policy, { arch, root }),
});

/** undefined when a plan read back (srt exec) carries a usable OCI part, else why not. */
export function ociPlanProblem(value: Partial<OciPlan>): string | undefined {
  if (value.engine !== "runc" && value.engine !== "crun")
    return `plan engine ${String(value.engine)} is not supported by this srt`;
  const oci = value.oci as Partial<OciArtifact> | undefined;
  const ok =
    typeof oci === "object" &&
    oci !== null &&
    Array.isArray(oci.skeletons) &&
    typeof oci.config === "object" &&
    Array.isArray(oci.config?.mounts) &&
    typeof oci.pidNamespace === "boolean";
  return ok ? undefined : "the plan's OCI part is incomplete or damaged; recompile it";
}
