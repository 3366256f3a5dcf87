/**
 * srt's state directory: the one place srt keeps anything on the host while
 * commands run — the placeholder registry and every run's private directory
 * (`runs/<id>/`: the command's TMPDIR, the mode-000 mask source, the proxy
 * sockets). Guarantee: no sandbox can read, write, rename or list it. The
 * compiler refuses a writable root at or inside it (SRT308), and every plan
 * hides it whole (an empty read-only tmpfs; only the run's own TMPDIR is bound
 * back). Against whom: a sandboxed command of the same user that, before, could
 * rewrite a concurrent run's bwrap arguments or empty the registry so that srt
 * removed another run's placeholders.
 *
 * Where: `$XDG_RUNTIME_DIR/srt` when that is an absolute path to a directory
 * owned by the user with mode 0700 (the per-user runtime dir systemd makes),
 * else `<temp base>/srt-<uid>`. The base is resolved through symlinks, so the
 * compiler (which works on real paths) and bwrap's mount agree on the path.
 *
 * The directory itself is checked with lstat every time it is used: a
 * directory, not a symlink, owned by the user, mode exactly 0700. In a shared
 * /tmp another user can create `srt-<uid>` first; srt then refuses to run
 * rather than keep its state in a directory someone else controls.
 */
import { lstatSync, realpathSync } from "node:fs";
import { isAbsolute, join, normalize } from "node:path";
import type { LinuxFs } from "./linux/deps.js";

/** What checking and creating the state directory needs (the runner's injected file system). */
export type StateDirFs = Pick<LinuxFs, "lstat" | "mkdir" | "chmod">;
import { RuntimeFailure } from "./failure.js";

type Env = Readonly<Record<string, string | undefined>>;

/** The temp base as os.tmpdir() reads it, but from the given environment. */
function tempBase(env: Env): string {
  const raw = env["TMPDIR"] || env["TMP"] || env["TEMP"] || "/tmp";
  const base = isAbsolute(raw) ? normalize(raw) : "/tmp";
  return base.length > 1 && base.endsWith("/") ? base.slice(0, -1) : base;
}

const real = (p: string): string => {
  try {
    return realpathSync.native(p);
  } catch {
    // Does not exist (yet): ensureStateDir will say so when a run needs it.
    return p;
  }
};

/** A private directory in the XDG sense: ours, 0700, not a link (also what code-cache.ts keeps code in). */
export function privateDir(path: string, uid: number): boolean {
  try {
    const st = lstatSync(path);
    return st.isDirectory() && st.uid === uid && (st.mode & 0o7777) === 0o700;
  } catch {
    return false;
  }
}

/** Where this user's srt keeps its state; nothing is created. (Read from node:fs directly: it runs on every platform, for compile and explain too.) */
export function locateStateDir(env: Env, uid: number): string {
  const xdg = env["XDG_RUNTIME_DIR"];
  if (xdg !== undefined && isAbsolute(xdg) && privateDir(xdg, uid)) return join(real(xdg), "srt");
  return join(real(tempBase(env)), `srt-${uid}`);
}

/** Why `path` is not a state directory srt may use, or undefined when it is. */
export function stateDirProblem(fs: Pick<LinuxFs, "lstat">, path: string, uid: number): string | undefined {
  let st;
  try {
    st = fs.lstat(path);
  } catch (e) {
    return `cannot inspect it (${(e as NodeJS.ErrnoException).code ?? String(e)})`;
  }
  if (st.kind === "symlink") return "it is a symlink";
  if (st.kind !== "dir") return "it is not a directory";
  if (st.uid !== uid) return `it is owned by uid ${st.uid}, not ${uid}`;
  if ((st.mode & 0o7777) !== 0o700) return `its mode is ${(st.mode & 0o7777).toString(8).padStart(4, "0")}, not 0700`;
  return undefined;
}

/**
 * Creates the state directory (0700) if missing and checks it; throws an Error
 * with the fix in its message when it is not safe to use.
 */
export function ensureStateDir(fs: StateDirFs, path: string, uid: number): string {
  try {
    fs.mkdir(path, 0o700);
    // The umask may have taken bits away; the check below wants exactly 0700.
    fs.chmod(path, 0o700);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== "EEXIST")
      throw new RuntimeFailure(
        "SRT501",
        `cannot create srt's state directory ${path} (${code ?? String(e)}); set TMPDIR to a directory you own`,
      );
  }
  const problem = stateDirProblem(fs, path, uid);
  if (problem !== undefined) {
    throw new RuntimeFailure(
      "SRT501",
      `srt's state directory ${path} is not safe to use: ${problem}. It must be a directory owned by uid ${uid} with mode 0700; if no srt is running, remove it (rm -rf ${JSON.stringify(path)}) and retry`,
    );
  }
  ensureSubdir(fs, join(path, "runs"), uid);
  return path;
}

/** A directory inside the state directory, created 0700 and checked like it. */
export function ensureSubdir(fs: StateDirFs, path: string, uid: number): void {
  try {
    fs.mkdir(path, 0o700);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
  }
  const st = fs.lstat(path);
  if (st.kind !== "dir" || st.uid !== uid)
    throw new RuntimeFailure(
      "SRT501",
      `${path} in srt's state directory is not a directory owned by uid ${uid}; remove it and retry`,
    );
}

/**
 * A plan names the state directory it hides (a literal: reviewable in the
 * plan, and the compiler's SRT308 check was made against it). Run with another
 * one it would hide the wrong directory and leave this run's neighbours
 * visible, so it does not run at all.
 */
export function planStateDirMismatch(planned: string | undefined, here: string): string | undefined {
  if (planned === here) return undefined;
  if (planned === undefined)
    return "the plan does not name srt's state directory (it was made by an older srt); recompile it";
  return `the plan was compiled for srt's state directory ${planned}, but here srt uses ${here} (XDG_RUNTIME_DIR or TMPDIR differ); the plan would hide the wrong directory: recompile it here`;
}
