export { buildMacosLaunch, realTmpPath, sandboxExec, type MacosLaunch, type MacosLaunchInput } from "./launch.js";
export { logBinary, logStreamArgv, parseLogLine, type MacosViolation } from "./log-stream.js";
