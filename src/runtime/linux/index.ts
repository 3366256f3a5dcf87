export { runLinux, statusOfSignal, type NetworkSession, type RunRequest, type RunResult, type RunningSandbox, type StartNetwork } from "./run.js";
export { findTools, which, type LinuxTools } from "./tools.js";
