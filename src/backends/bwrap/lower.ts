/**
 * IR → bubblewrap arguments (everything before the command). Pure: the same
 * Policy gives the same list; per-run paths are slots (see argv.ts).
 *
 * Order is part of the design. bwrap applies mount operations in argv order,
 * each on top of the previous ones:
 *   1. the host root read-only, fresh /dev and /proc, the kernel's knobs in
 *      /proc read-only again (kernelKnobs);
 *   2. the policy's mounts, shallowest path first (mounts.ts decides them);
 *   3. srt's whole state directory masked (every run's private directory and
 *      the placeholder registry), then this run's private temp dir on top —
 *      after the policy's mounts, so no policy rule can hide or expose it, but
 *      before the policy's read masks turn read-only, so the state directory
 *      can be masked inside one of them (denyRead of the temp directory);
 *   4. the read masks made read-only (mounts.ts lists them last);
 *   5. namespaces and process options.
 */
import { match } from "ts-pattern";
import type { Policy } from "../../compiler/ir.js";
import type { CommentedArgs } from "./argv.js";
import { planMounts, shownOrigins, type MountNote, type MountOp, type MountPlan } from "./mounts.js";

export interface BwrapArtifact {
  readonly groups: readonly CommentedArgs[];
  readonly mounts: MountPlan;
  /** What `enableWeakerNestedSandbox` gives up, when it is on (also shown by explain). */
  readonly weakened: readonly string[];
  readonly notes: readonly MountNote[];
  /**
   * Whether the sandbox gets its own PID namespace (`--unshare-pid`): then the
   * kernel kills whatever the command left behind when it ends; without one
   * (the weaker nested sandbox) the runtime must kill the command's group itself.
   */
  readonly pidNamespace: boolean;
}

/** Said by `srt explain` and in goldens when enableWeakerNestedSandbox is on. */
export const weakerNestedSandboxCosts: readonly string[] = [
  "no new PID namespace: the command sees every host process in /proc and can signal those of the same user",
  "the host's /proc is bound instead of a fresh one: /proc/<pid>/environ and cmdline of the user's other processes are readable",
  "the host's /dev is bound instead of a minimal one: every device node the user can open is reachable",
  "no PID namespace to end with the command: srt kills the command's process group when it ends, but a process that left the group (setsid) can outlive srt",
];

/**
 * Files in /proc that change the running kernel, not one process: sysctls
 * (kernel.core_pattern names a program the kernel runs as host root on every
 * crash), the SysRq trigger, IRQ affinity, bus devices, file-system tunables.
 * bwrap covers some of them itself, but skips any that access(W_OK) calls
 * unwritable, and procfs says EACCES for /proc/sys even to root, whose writes
 * to the files below it then succeed. So srt binds each one read-only itself,
 * whatever /proc is (fresh, or the host's for the weaker nested sandbox).
 * `-try`: a kernel built without one (no SysRq) simply has nothing there.
 * /sys needs nothing: `--ro-bind / /` made it and every mount below it read-only.
 * (A user namespace for root, uid 0 mapped to 0, would not help: the sysctl
 * and binfmt_misc checks compare the global uid, which is still 0 — measured.)
 */
export const kernelKnobs: Readonly<Record<string, string>> = {
  "/proc/sys": "sysctls, read-only (bwrap's own cover skips them: access(W_OK) says EACCES, even to root)",
  "/proc/sysrq-trigger": "the SysRq trigger, read-only",
  "/proc/irq": "IRQ affinity, read-only",
  "/proc/bus": "bus devices, read-only",
  "/proc/fs": "file-system tunables, read-only",
};

/**
 * The bind above copies the host's mounts below /proc/sys too, among them
 * systemd's automount point for binfmt_misc. Touching it in the sandbox has
 * the host mount binfmt_misc there, and bwrap's mounts are slaves of the
 * host's, so that mount appears in the sandbox read-write: as root, one
 * `register` line makes the host run a program of the command's choosing.
 * An empty read-only tmpfs on top hides the point; a mount propagated later
 * lands beneath it. Only where it exists (a tmpfs needs its mount point).
 */
const binfmtMisc = "/proc/sys/fs/binfmt_misc";

export function lowerBwrap(policy: Policy): BwrapArtifact {
  const mounts = planMounts(policy);
  const weaker = policy.options.enableWeakerNestedSandbox;
  const groups: CommentedArgs[] = [];
  const add = (comment: string, ...args: CommentedArgs["args"]): void => void groups.push({ args, comment });

  add("the whole host file system, read-only", "--ro-bind", "/", "/");
  if (weaker.value) {
    add(`host /dev (weaker nested sandbox, ${weaker.origin})`, "--dev-bind", "/dev", "/dev");
    add(`host /proc (weaker nested sandbox, ${weaker.origin})`, "--ro-bind", "/proc", "/proc");
  } else {
    add("a minimal /dev (null, zero, random, tty, pts, shm)", "--dev", "/dev");
    add("a /proc that shows only the sandbox's processes", "--proc", "/proc");
  }
  for (const [k, what] of Object.entries(kernelKnobs)) add(what, "--ro-bind-try", k, k);
  if (policy.context.binfmtMisc === true)
    add(
      "binfmt_misc hidden, empty and read-only: its automount would arrive writable",
      "--tmpfs",
      binfmtMisc,
      "--remount-ro",
      binfmtMisc,
    );

  const emit = (m: MountOp): void =>
    match(m)
      .with({ op: "bind" }, (b) => {
        const what = match(b.why)
          .with("write-allow", () => "writable")
          .with("write-deny", () => "read-only again")
          .with("read-allow", () => "readable again inside a read mask")
          .with("pin-ancestor", () => "pinned (a mount point cannot be renamed away from the protected path below it)")
          .exhaustive();
        add(
          `${what}${b.optional ? " (created for the run if missing)" : ""}: ${shownOrigins(b.origin)}`,
          b.writable ? (b.optional ? "--bind-try" : "--bind") : b.optional ? "--ro-bind-try" : "--ro-bind",
          b.path,
          b.path,
        );
      })
      .with({ op: "mask-dir" }, (x) =>
        add(`unreadable directory (empty, read-only): ${shownOrigins(x.origin)}`, "--tmpfs", x.path),
      )
      .with({ op: "mask-file" }, (x) =>
        add(`unreadable file (mode 000, empty): ${shownOrigins(x.origin)}`, "--ro-bind", { slot: "void" }, x.path),
      )
      .with({ op: "remount-ro" }, (x) =>
        add(`read mask made read-only: ${shownOrigins(x.origin)}`, "--remount-ro", x.path),
      )
      .exhaustive();

  mounts.ops.filter((m) => m.op !== "remount-ro").forEach(emit);
  const stateDir = policy.context.stateDir;
  add("srt's state directory (every run's private files, the placeholder registry) is hidden", "--tmpfs", stateDir);
  add("the private per-run temp dir (TMPDIR), writable", "--bind", { slot: "tmp" }, { slot: "tmp" });
  add("nothing else may be written below the hidden state directory", "--remount-ro", stateDir);
  mounts.ops.filter((m) => m.op === "remount-ro").forEach(emit);

  add("network: only a loopback interface; srt's proxies are bridged in", "--unshare-net");
  const pidNamespace = !weaker.value;
  if (pidNamespace) add("processes: a new PID namespace", "--unshare-pid");
  add("System V IPC and hostname: private", "--unshare-ipc", "--unshare-uts");
  add("cgroup namespace, when the kernel has one", "--unshare-cgroup-try");
  add("a new session: TIOCSTI into the caller's terminal is impossible even without seccomp", "--new-session");
  add("the sandbox dies with srt", "--die-with-parent");
  // As root bwrap keeps every capability unless told otherwise; as a user it has none to give. Either way: none.
  add("no capabilities, also when srt runs as root", "--cap-drop", "ALL");
  return { groups, mounts, weakened: weaker.value ? weakerNestedSandboxCosts : [], notes: mounts.notes, pidNamespace };
}
