export { runLinux, statusOfSignal, type NetworkSession, type RunRequest, type RunResult, type RunningSandbox, type StartNetwork } from "./run.js";
export { findTools, toolsExposed, type LinuxTools, type ToolsResult } from "./tools.js";
