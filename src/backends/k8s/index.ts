export { lowerK8s, type K8sArtifact } from "./lower.js";
export { renderK8s, renderK8sSeccomp } from "./render.js";
export { defaultK8sOptions, dnsLabel, proxyPorts, type K8sOptions } from "./options.js";
