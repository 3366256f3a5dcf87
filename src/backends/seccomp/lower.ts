/** The seccomp backend's entry: IR → program for one architecture (the policy decides only the two switches). */
import type { Policy } from "../../compiler/ir.js";
import { buildSeccomp, type SeccompProgram } from "./build.js";
import { seccompOptionsFromPolicy } from "./options.js";
import type { SeccompArch } from "./syscalls.js";

export function lowerSeccomp(policy: Policy, arch: SeccompArch): SeccompProgram {
  return buildSeccomp(seccompOptionsFromPolicy(policy, arch));
}
