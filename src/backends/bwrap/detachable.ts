/**
 * The mounts a process outside the sandbox can take away. Since Linux 3.18 an
 * unlink(2) of a mount point, or a rename(2) over it, in one mount namespace
 * detaches the mounts on it in every other namespace (kernel commit "vfs:
 * Lazily remove mounts on unlinked files and directories"); a mount point
 * renamed away takes its mounts to the new name. Either way the path itself
 * is unprotected inside a running sandbox after the host user's editor saves
 * the file by rename (or renames it to a backup), `git checkout` rewrites it,
 * or `rm` removes srt's placeholder. Inside the sandbox the same calls fail
 * with EBUSY; only the host can do it.
 *
 * Listed are the mounts whose loss weakens the sandbox; the runtime watches
 * them and stops the run when one changes (src/runtime/linux/protection-watch.ts):
 *   - write-deny binds: they lie in a writable region, so without them the
 *     path (or a new file there) is writable;
 *   - read masks: without them the host's file shows through;
 *   - pinned directories: everything mounted below them goes with them.
 * Writable and read-allow binds are left out: losing one makes less visible
 * or writable, never more. (The only mounts whose mount point is on srt's own
 * tmpfs, out of the host's reach, are the read-allow binds inside a masked
 * directory: a protection is only needed where its parent is visible.)
 */
import { match } from "ts-pattern";
import type { Origin } from "../../compiler/ir.js";
import type { MountOp } from "./mounts.js";

export interface DetachableMount {
  readonly path: string;
  /** What is lost if it detaches: the path's read-only bind, its read mask, or the mounts below a pinned directory. */
  readonly guards: "write" | "read" | "below";
  readonly origin: Origin;
}

export function detachableMounts(ops: readonly MountOp[]): DetachableMount[] {
  return ops.flatMap((o): DetachableMount[] => {
    const guards = match(o)
      .with({ op: "bind" }, (b) =>
        match(b.why)
          .with("write-deny", () => "write" as const)
          .with("pin-ancestor", () => "below" as const)
          .with("write-allow", "read-allow", () => undefined)
          .exhaustive(),
      )
      .with({ op: "mask-file" }, { op: "mask-dir" }, () => "read" as const)
      .with({ op: "remount-ro" }, () => undefined)
      .exhaustive();
    return guards === undefined ? [] : [{ path: o.path, guards, origin: o.origin }];
  });
}
