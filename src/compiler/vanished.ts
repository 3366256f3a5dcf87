/**
 * A directory the mandatory walk saw in its parent's listing but could not
 * list itself. srt runs in directories that other runs and their (hostile,
 * same-uid) commands change meanwhile: another run removes its `.git`
 * placeholder when it ends, a parallel `rm -rf build` removes a tree. One that
 * is gone is treated exactly as if the walk had started a moment later and
 * never seen it. That weakens nothing: a path absent at walk time is one every
 * run already handles (the names that matter when missing are held by
 * placeholders; anything created after the walk is what the placeholders, the
 * registry's holds and protection-watch are for), and the command could as
 * well have removed it just before the walk. Only "gone" is forgiven, and
 * lstat must confirm it: readdir's ENOENT also comes from a dangling symlink
 * swapped in, ENOTDIR from a file, and either is something a later walk would
 * see and protect (a `.git` file or link redirects git), so those, like EIO
 * and ELOOP, still refuse (SRT300).
 */
import type { Host, HostErrorCode } from "./host.js";

/** Whether `dir`, whose listing failed with `code`, is gone (nothing at all at that path now). */
export function vanished(host: Host, dir: string, code: HostErrorCode): boolean {
  if (code !== "ENOENT") return false;
  const st = host.lstat(dir);
  return !st.ok && st.code === "ENOENT";
}
