/**
 * srt as a library. compile() and lower() are the pure compiler; a Sandbox
 * (createSandbox) runs commands under one policy with long-lived proxies,
 * live updates, an ask callback and a violation list; SandboxManager mirrors
 * the reference tool's API. See docs/library.md.
 */
export {
  compile,
  lower,
  type CompileOptions,
  type CompileOutput,
  type LowerOptions,
  type LowerTarget,
  type MacosPlan,
} from "./api/compile.js";
export { SandboxConfigError } from "./api/errors.js";
export { RuntimeFailure } from "./runtime/failure.js";
export {
  createSandbox,
  type Sandbox,
  type SandboxOptions,
  type SandboxSpawnOptions,
  type UpdateResult,
  type WrappedCommand,
} from "./api/sandbox.js";
export type { SandboxedProcess, SandboxExit, StdioOption } from "./api/process.js";
export type { SandboxViolation, SandboxViolations } from "./api/violations.js";
export type { WriteViolation } from "./runtime/linux/write-violations.js";
export {
  createSandboxManager,
  mergeCustomConfig,
  SandboxManager,
  SandboxViolationStore,
  shouldIgnoreViolation,
  type FsReadRestrictionConfig,
  type FsWriteRestrictionConfig,
  type IgnoreViolationsConfig,
  type NetworkRestrictionConfig,
  type SandboxDependencyCheck,
  type SandboxManagerApi,
  type SandboxViolationEvent,
  type WrapWithSandboxOptions,
} from "./api/manager.js";
export type { LinuxPlan } from "./backends/bwrap/index.js";
export type { LimitViolation } from "./runtime/linux/limits/enforce.js";
export type { Diagnostic, Policy, RuntimeCode, Target } from "./compiler/index.js";
export type { AskAnswer, AskCallback, AskQuery, NetworkViolation } from "./runtime/proxy/index.js";
export type { FilterRequestCallback, RequestDecision, RequestInfo } from "./runtime/proxy/index.js";
