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
  readonly unixSocketPaths?: Origin;
}

export interface SeccompOptions {
  readonly arch: SeccompArch;
  /** policy.network.allowAllUnixSockets.value */
  readonly allowUnixSockets: boolean;
  /** policy.options.allowNestedUserNamespaces.value */
  readonly allowNestedUserNamespaces: boolean;
  /** The supervisor (native/srt-supervise) holds the filter's listener: creating calls go to it. */
  readonly supervised?: boolean;
  /** allowUnixSockets lists paths (and allowAllUnixSockets is off): connect() goes to the supervisor. */
  readonly unixSocketPaths?: boolean;
  /** Where the switches came from; only echoed in comments, never changes the program. */
  readonly origins?: SeccompOrigins;
}

/** The switches that can relax a rule. */
export type SeccompSwitch = "allowUnixSockets" | "allowNestedUserNamespaces" | "supervised" | "unixSocketPaths";

export function seccompOptionsFromPolicy(policy: Policy, arch: SeccompArch): SeccompOptions {
  const unix = policy.network.allowAllUnixSockets;
  const userns = policy.options.allowNestedUserNamespaces;
  const paths = policy.network.unixSockets;
  return {
    arch,
    allowUnixSockets: unix.value,
    allowNestedUserNamespaces: userns.value,
    // Every Linux run has the supervisor (a run without it is refused, SRT511).
    supervised: true,
    unixSocketPaths: !unix.value && paths.length > 0,
    origins: {
      allowUnixSockets: unix.origin,
      allowNestedUserNamespaces: userns.origin,
      ...(paths[0] === undefined ? {} : { unixSocketPaths: paths[0].origin }),
    },
  };
}
