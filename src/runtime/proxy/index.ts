export { createHttpProxy } from "./http.js";
export { createSocksProxy, socksReply } from "./socks.js";
export {
  appendViolation,
  createViolationStore,
  type FileSystemViolation,
  type ViolationFilter,
  type ViolationStore,
  type ViolationStoreOptions,
  type ViolationSummary,
} from "./violations.js";
export { compileIgnoreFilter, violationText } from "./ignore.js";
export { allowHintLine, reportLine } from "./report.js";
export {
  explainProxyEnvironment,
  proxyEnvironment,
  proxyVariables,
  type ProxyEnvironmentOptions,
  type ProxyVariable,
} from "./environment.js";
export { systemResolver } from "./resolver.js";
export { createNativeRelay, type TunnelRelay, type TunnelReport } from "./native-relay.js";
export {
  defaultLimits,
  type AskAnswer,
  type AskCallback,
  type AskQuery,
  type ListenAddress,
  type ListenTarget,
  type NetworkProxy,
  type NetworkViolation,
  type ProxyDeps,
  type ProxyLimits,
  type ProxyNetworkPolicy,
  type Resolver,
} from "./types.js";
export type { FilterRequestCallback, RequestDecision, RequestInfo } from "./request-filters.js";
