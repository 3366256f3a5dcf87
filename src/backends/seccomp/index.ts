export { buildSeccomp, type RuleStatus, type SeccompProgram } from "./build.js";
export { disassembleSeccomp } from "./disassemble.js";
export { assemble } from "./assemble.js";
export type { Action, ArgIndex, DataField, Insn, JumpCondition, SymbolicInsn, Target } from "./instructions.js";
export * as bpf from "./instructions.js";
export { seccompOptionsFromPolicy, type SeccompOptions, type SeccompOrigins, type SeccompSwitch } from "./options.js";
export { encodeSeccomp, encodeInsn, type SockFilter } from "./encode.js";
export { lowerSeccomp } from "./lower.js";
export { seccompRules, type Condition, type SeccompRule, type Verdict } from "./rules.js";
export {
  seccompArches,
  seccompArchOf,
  syscallNumber,
  syscallNames,
  type SeccompArch,
  type SyscallName,
} from "./syscalls.js";
