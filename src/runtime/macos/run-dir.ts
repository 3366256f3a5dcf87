/**
 * The per-run directory on the host: private (mkdtemp makes it 0700), holding
 * the profile file and the private temp dir the sandbox may write.
 *
 * Everything is on real paths. Seatbelt matches the path the kernel resolved,
 * and macOS's TMPDIR (/var/folders/…/T/) lives behind the /var → /private/var
 * symlink: a rule on the spelled path would never match, so the sandbox could
 * not write its own temp dir. realpath both the base and the result (the base
 * may be a user's symlink too).
 */
import type { MacosFs } from "./deps.js";

export interface MacosRunDir {
  /** Real path of the run directory. */
  readonly path: string;
  /** The private temp dir: TMPDIR inside, and the profile's SRT_PRIVATE_TMP parameter. */
  readonly tmp: string;
  /** Where the profile is written (`sandbox-exec -f`). */
  readonly profile: string;
}

/** `registered` is told the directory's path the moment it exists, before anything is put in it. */
export function createMacosRunDir(fs: MacosFs, tmpdir: string, registered: (path: string) => void): MacosRunDir {
  const base = fs.realpath(tmpdir).replace(/\/+$/, "");
  const made = fs.mkdtemp(`${base}/srt-`);
  registered(made);
  const path = fs.realpath(made);
  if (path !== made) registered(path);
  const tmp = `${path}/tmp`;
  fs.mkdir(tmp, 0o700);
  return { path, tmp, profile: `${path}/profile.sb` };
}
