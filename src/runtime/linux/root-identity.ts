/**
 * Which directory a writable root is on the host, taken without following any symlink, for the
 * engines that resolve a bind's source where srt's supervisor cannot see it (Docker and podman: the
 * daemon mounts it, and inside the container the destination is the image's own directory).
 *
 * Against whom: another sandboxed command of the same user, under a policy that writes a parent of
 * the root, which swaps the root for a link (native/srt-supervise/roots.c says why that matters).
 * The walk opens each component relative to the directory the previous step opened
 * (`/proc/self/fd/N/name`, O_PATH | O_NOFOLLOW), so a component swapped for a link is found as the
 * link, never followed, whenever the swap happens. A link on the way refuses the run here; the
 * (device, inode) found is handed to the supervisor, which compares it with what was mounted: a
 * swap after this walk mounts another directory, whose identity differs.
 */
import { closeSync, constants, fstatSync, openSync } from "node:fs";
import { RuntimeFailure } from "../failure.js";
import { osPath } from "../os-path.js";

/** O_PATH (Linux, x86-64 and arm64: 010000000); node:fs does not export it. */
const O_PATH = 0o10000000;

export type RootIdentity =
  | { readonly kind: "found"; readonly dev: string; readonly ino: string }
  /** A component (or the root) is a symlink now: the first such path. */
  | { readonly kind: "link"; readonly at: string }
  | { readonly kind: "absent" }
  | { readonly kind: "error"; readonly at: string; readonly code: string };

/** What the walk needs of the machine (node's fs below; tests may give their own). */
export interface IdentityFs {
  /** O_PATH | flags; throws an errno error. */
  open(path: string, flags: number): number;
  fstat(fd: number): { isSymbolicLink(): boolean; isDirectory(): boolean; dev: bigint; ino: bigint };
  close(fd: number): void;
}

const nodeFs: IdentityFs = {
  // A name with escaped bytes goes as those bytes (os-path.ts), as everywhere srt meets the OS.
  open: (path, flags) => openSync(osPath(path), O_PATH | flags),
  fstat: (fd) => fstatSync(fd, { bigint: true }),
  close: (fd) => closeSync(fd),
};

/** The identity of the absolute real path `root`, reached from / without following a link. */
export function rootIdentity(root: string, fs: IdentityFs = nodeFs): RootIdentity {
  const names = root.split("/").filter((n) => n !== "");
  let fd: number;
  try {
    fd = fs.open("/", constants.O_DIRECTORY);
  } catch (e) {
    return { kind: "error", at: "/", code: (e as NodeJS.ErrnoException).code ?? String(e) };
  }
  let at = "";
  try {
    for (const name of names) {
      at += `/${name}`;
      let next: number;
      try {
        next = fs.open(`/proc/self/fd/${fd}/${name}`, constants.O_NOFOLLOW);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? String(e);
        return code === "ENOENT" ? { kind: "absent" } : { kind: "error", at, code };
      }
      fs.close(fd);
      fd = next;
      if (fs.fstat(fd).isSymbolicLink()) return { kind: "link", at };
    }
    const st = fs.fstat(fd);
    return { kind: "found", dev: String(st.dev), ino: String(st.ino) };
  } finally {
    fs.close(fd);
  }
}

/** Why a run whose writable `root` is reached through the symlink `at` now does not start (SRT552). */
export const linkedRootFailure = (root: string, at: string): RuntimeFailure =>
  new RuntimeFailure(
    "SRT552",
    `${root}, which this plan makes writable, is reached through the symbolic link ${at} now: it, or a directory above it, was replaced since the plan was compiled (another sandboxed command can do that), and its writable mount would land where the link leads. The command did not run. Compile the policy again: the compiler refuses a link another sandbox could have planted (SRT306).`,
  );
