export {
  lowerOci,
  type OciArtifact,
  type OciConfig,
  type OciMount,
  type OciOptions,
  type OciResources,
  type OciRlimit,
  ociLimitFields,
  ociLimits,
  type OciLimitValues,
  type RootEntry,
  type Skeleton,
  type SkeletonEntry,
} from "./lower.js";
export { lowerOciSeccomp, type OciSeccomp } from "./seccomp.js";
export { renderOci } from "./render.js";
export {
  instantiateOci,
  skeletonDir,
  supervisorFds,
  supervisorMountPoint,
  type ConcreteBundle,
  type ConcreteSkeleton,
  type OciRun,
} from "./instantiate.js";
export { lowerOciPlan, ociPlanProblem, type OciEngine, type OciPlan } from "./plan.js";
