/**
 * The normalized input of the seccomp compiler: the two policy switches that
 * relax a rule, and where each one was set so the disassembly can name the
 * settings pointer behind a relaxed (or kept) rule.
 */
import type { Origin, Policy } from "../../compiler/ir.js";
import type { SeccompArch } from "./syscalls.js";

export interface SeccompOrigins {
  readonly allowUnixSockets: Origin;
  readonly allowNestedUserNamespaces: Origin;
}

export interface SeccompOptions {
  readonly arch: SeccompArch;
  /** policy.network.allowAllUnixSockets.value */
  readonly allowUnixSockets: boolean;
  /** policy.options.allowNestedUserNamespaces.value */
  readonly allowNestedUserNamespaces: boolean;
  /** Where the switches came from; only echoed in comments, never changes the program. */
  readonly origins?: SeccompOrigins;
}

/** The switches that can relax a rule. */
export type SeccompSwitch = "allowUnixSockets" | "allowNestedUserNamespaces";

export function seccompOptionsFromPolicy(policy: Policy, arch: SeccompArch): SeccompOptions {
  const unix = policy.network.allowAllUnixSockets;
  const userns = policy.options.allowNestedUserNamespaces;
  return {
    arch,
    allowUnixSockets: unix.value,
    allowNestedUserNamespaces: userns.value,
    origins: { allowUnixSockets: unix.origin, allowNestedUserNamespaces: userns.origin },
  };
}
