export { compileSettings, type CompileInput, type CompileResult, type Target } from "./compile.js";
export {
  catalog,
  hasErrors,
  runtimeCatalog,
  type Diagnostic,
  type DiagnosticCode,
  type RuntimeCode,
  type Severity,
} from "./diagnostics.js";
export type { DirEntry, Host, HostEnv, HostResult, NodeKind } from "./host.js";
export type * from "./ir.js";
export { lineColumn, locateJson, offsetOfPointer } from "./json-locate.js";
export { mandatoryReasons } from "./mandatory.js";
export { defaultLimits, type BudgetLimits } from "./budget.js";
export { launcherNames, type SelfOutput } from "./self-protect.js";
