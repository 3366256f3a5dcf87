export { buildMacosLaunch, realTmpPath, sandboxExec, type MacosLaunch, type MacosLaunchInput } from "./launch.js";
export { logBinary, logStreamArgv, parseLogLine, type MacosViolation } from "./log-stream.js";
export {
  createMacosRun,
  runMacos,
  type MacosRunner,
  type MacosRunRequest,
  type MacosRunResult,
  type RunningMacos,
} from "./run.js";
export type {
  Clock,
  MacosDeps,
  MacosFs,
  ProxyModule,
  Spawn,
  SpawnedProcess,
  SpawnRequest,
  StdioEntry,
  TlsModule,
} from "./deps.js";
export { nodeMacosDeps, nodeSpawn } from "./node-deps.js";
export { createWatchdog, type Watchdog } from "../watchdog.js";
export { darwinStatusOfSignal } from "./signals.js";
