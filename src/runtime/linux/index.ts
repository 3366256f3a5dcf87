export {
  runLinux,
  statusOfSignal,
  type NetworkSession,
  type RunRequest,
  type RunResult,
  type RunningSandbox,
  type StartNetwork,
} from "./run.js";
export { chosenTools, findTools, toolsExposed, type LinuxTools, type ToolsResult } from "./tools.js";
export { nodeLinuxDeps, nodeLinuxFs } from "./node-deps.js";
export type {
  LinuxClock,
  LinuxDeps,
  LinuxFs,
  LinuxSpawn,
  NodeStat,
  SpawnedChild,
  SpawnOptions,
  StdioSlot,
} from "./deps.js";
