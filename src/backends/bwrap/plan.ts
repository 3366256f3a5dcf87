/**
 * The Linux plan: everything `srt exec plan.json -- cmd` needs, as JSON data,
 * so a run never needs the settings file or the compiler. Nothing here is
 * recomputed at run time except the slots (this run's private paths) and the
 * environment (taken from the caller through the plan's env policy).
 */
import type { EnvPolicy, IgnoreRule, NetworkPolicy, Policy, ResourceLimits } from "../../compiler/ir.js";
import { encodeSeccomp, lowerSeccomp, type SeccompArch } from "../seccomp/index.js";
import { fillSlots, flatten, type ArgvItem, type Slots } from "./argv.js";
import { hostWritesOf, type HostWrites } from "./host-writes.js";
import { lowerBwrap } from "./lower.js";
import { lowerSupervisor, type SupervisorPlan } from "./supervisor.js";
import type { DetachableMount } from "./detachable.js";
import { shownOrigins, type Placeholder } from "./mounts.js";

export interface LinuxPlan {
  readonly kind: "srt-plan";
  readonly version: 1;
  readonly target: "linux";
  readonly arch: SeccompArch;
  readonly source: string;
  readonly context: Policy["context"];
  /** bwrap options, without the runtime's own fds (--args, --seccomp, --info-fd, …) and the command. */
  readonly bwrap: readonly ArgvItem[];
  /** The command starts here (the directory the policy was compiled for). */
  readonly chdir: string;
  /**
   * `bwrap` holds `--unshare-pid`: the command's leftovers die with it. Without a PID namespace
   * (enableWeakerNestedSandbox) the runtime kills the command's process group when it ends.
   * A fact of the plan, so no code outside this backend reads the argument list to learn it.
   */
  readonly pidNamespace: boolean;
  /** Write-protected paths that do not exist: created empty before the run, removed after it. */
  readonly placeholders: readonly Placeholder[];
  /**
   * Protections a host process can detach by deleting or renaming over the path (an editor's save,
   * git checkout): the runtime watches them from before bwrap mounts them until the command ends,
   * and stops the run when one's identity changes.
   */
  readonly detachable: readonly DetachableMount[];
  /** What the command can change on the host (the runtime checks the files it trusts against this). */
  readonly hostWrites: HostWrites;
  /** The raw sock_filter array the supervisor installs with a listener, base64. */
  readonly seccomp: { readonly base64: string; readonly instructions: number };
  /** What the in-sandbox supervisor (native/srt-supervise) refuses and where writes may go (supervisor.ts). */
  readonly supervisor: SupervisorPlan;
  /** proxies: false when nothing may be reached, so no proxy or bridge is started at all. */
  readonly network: { readonly proxies: boolean; readonly policy: NetworkPolicy };
  readonly env: EnvPolicy;
  readonly ignoreViolations: readonly IgnoreRule[];
  /** Resource limits; the runtime decides how each holds on its host (src/runtime/linux/limits/). */
  readonly limits: ResourceLimits;
  /** What the sandbox gives up (enableWeakerNestedSandbox) and rules it cannot apply, in words. */
  readonly weakened: readonly string[];
  readonly notes: readonly string[];
  /** The settings' bwrapPath / socatPath: used instead of srt's look-up, with the same trust checks. */
  readonly hostTools?: Policy["hostTools"];
}

/** Whether a network policy lets anything out (a host allowed, or a TLS-terminated domain): proxies are then needed. */
export const reachesNetwork = (net: Policy["network"]): boolean =>
  net.rules.some((r) => r.effect === "allow") || (net.mitmProxy?.domains.length ?? 0) > 0;

export function lowerLinuxPlan(policy: Policy, arch: SeccompArch): LinuxPlan {
  const bwrap = lowerBwrap(policy);
  const program = lowerSeccomp(policy, arch);
  const net = policy.network;
  const proxies = reachesNetwork(net);
  return {
    kind: "srt-plan",
    version: 1,
    target: "linux",
    arch,
    source: policy.source,
    context: policy.context,
    bwrap: flatten(bwrap.groups),
    chdir: policy.context.cwd,
    pidNamespace: bwrap.pidNamespace,
    placeholders: bwrap.mounts.placeholders,
    detachable: bwrap.mounts.detachable,
    hostWrites: hostWritesOf(bwrap.mounts.ops, policy.context.stateDir),
    seccomp: { base64: toBase64(encodeSeccomp(program)), instructions: program.instructions.length },
    supervisor: lowerSupervisor(policy),
    network: { proxies, policy: net },
    env: policy.env,
    ignoreViolations: policy.ignoreViolations,
    limits: policy.limits,
    weakened: bwrap.weakened,
    notes: bwrap.notes.map((n) => `${n.path}: ${n.note} (${shownOrigins(n.origin)})`),
    ...(policy.hostTools === undefined ? {} : { hostTools: policy.hostTools }),
  };
}

/**
 * The plan's bwrap options for one run: its slots filled with this run's
 * private paths, then the working directory. The one place a plan becomes an
 * argument list, so a real run and `srt doctor`'s test sandbox start the same
 * sandbox; the runtime adds only the descriptors of its own pipes (--args,
 * --seccomp, the status, info and block fds) and the command.
 */
export const planOptions = (plan: Pick<LinuxPlan, "bwrap" | "chdir">, slots: Slots): string[] => [
  ...fillSlots(plan.bwrap, slots),
  "--chdir",
  plan.chdir,
];

/** The plan as `srt compile` writes it and `srt exec` reads it. */
export const renderLinuxPlan = (plan: LinuxPlan): string => JSON.stringify(plan, null, 2) + "\n";

/** btoa works on "binary strings"; no Buffer, so this module stays free of Node APIs. */
function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}
