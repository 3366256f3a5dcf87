/**
 * The `sandbox-exec -D NAME=VALUE` parameters a profile may read: run-time
 * paths that are not known when a plan is compiled. A profile that reads a
 * parameter the runtime does not pass fails to load, so the command never
 * runs half-sandboxed; `paramsOf` says which ones a policy's profile reads,
 * so the runtime can check it passes each one before it starts anything.
 */
import type { Policy } from "../../compiler/ir.js";

export const seatbeltParams = {
  /** Real path (no symlinks: /private/var/…, not /var/…) of the per-run private temp dir. */
  privateTmp: "SRT_PRIVATE_TMP",
  /** network.tlsTerminate: real path of this run's CA certificate (never its key), outside the private temp dir. */
  tlsCa: "SRT_TLS_CA",
  /** network.tlsTerminate: real path of this run's trust bundle (host roots, extra roots, srt's CA). */
  tlsBundle: "SRT_TLS_BUNDLE",
} as const;

export type SeatbeltParam = (typeof seatbeltParams)[keyof typeof seatbeltParams];

/** The parameters the profile of this policy reads, in the order `sandbox-exec` is given them. */
export function paramsOf(policy: Pick<Policy, "network">): readonly SeatbeltParam[] {
  return [
    seatbeltParams.privateTmp,
    ...(policy.network.tlsTerminate === undefined ? [] : [seatbeltParams.tlsCa, seatbeltParams.tlsBundle]),
  ];
}
