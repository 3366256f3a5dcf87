export { fillSlots, type ArgvItem, type CommentedArgs, type SlotName, type Slots } from "./argv.js";
export { detachableMounts, type DetachableMount } from "./detachable.js";
export { lowerBwrap, weakerNestedSandboxCosts, type BwrapArtifact } from "./lower.js";
export {
  originList,
  planMounts,
  shownOrigins,
  type MountNote,
  type MountOp,
  type MountPlan,
  type MountState,
  type OriginList,
  type Placeholder,
} from "./mounts.js";
export { lowerLinuxPlan, planOptions, renderLinuxPlan, type LinuxPlan } from "./plan.js";
export { linuxPlanProblem } from "./plan-shape.js";
export { renderBwrap } from "./render.js";
export { exposureOf, hostWritesOf, writableRootOf, type Exposure, type HostWrites } from "./host-writes.js";
export { lowerSupervisor, type SupervisorPlan } from "./supervisor.js";
