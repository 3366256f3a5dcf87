/**
 * Writable paths reached through symlinks that an earlier sandboxed run could
 * have planted. Policy A makes `.` writable and its command turns `build`
 * into a link to `../outside`; policy B makes only `build` writable — and
 * would hand its command `../outside`. srt cannot tell a planted link from the
 * user's own, so a writable path spelled through a link that a sandbox of
 * this user could have made is refused, unless where it leads is writable by
 * a rule that names it directly (then the link widens nothing).
 */
import { diagnostic, type Diagnostic } from "./diagnostics.js";
import type { Host } from "./host.js";
import type { PathRule } from "./ir.js";
import { dirname, isWithin } from "./paths.js";

/** A write-allowed path whose spelling differs from its real path, and the links its resolution passed. */
export interface Redirect {
  readonly spelled: string;
  readonly real: string;
  readonly origin: string;
  /** Each symlink met, at its real location. */
  readonly links: readonly string[];
}

export function plantedLinks(host: Host, redirected: readonly Redirect[], writable: readonly PathRule[]): Diagnostic[] {
  // Only rules spelled without a link can vouch for a target: a second redirected spelling vouches for nothing.
  const direct = writable.filter((w) => !redirected.some((d) => d.origin === w.origin && d.real === w.path));
  const out: Diagnostic[] = [];
  for (const d of redirected) {
    if (direct.some((w) => isWithin(d.real, w.path))) continue;
    const planter = d.links
      .map((link) => ({ link, why: couldHaveMade(host, link, writable) }))
      .find((p): p is { link: string; why: string } => p.why !== undefined);
    if (planter === undefined) continue;
    out.push(
      diagnostic("SRT306", d.origin, { spelled: d.spelled, link: planter.link, real: d.real, why: planter.why }),
    );
  }
  return out;
}

/**
 * Why a sandbox of this user could have made `link` (undefined: it could
 * not). It could wherever the user may write the link's directory: inside a
 * writable path of this policy, or anywhere its mode lets the user write (an
 * earlier run's policy could have made it writable). Group-writable counts
 * whatever the group (ACL grants show in the group bits). In a sticky
 * directory only the owner of the directory or of the link can replace it.
 */
function couldHaveMade(host: Host, link: string, writable: readonly PathRule[]): string | undefined {
  const dir = dirname(link);
  const inside = writable.find((w) => isWithin(link, w.path) && link !== w.path);
  if (inside !== undefined) return `it lies in ${inside.path}, which this policy makes writable`;
  const uid = host.env.uid;
  if (uid === 0) return "srt runs as root, which may write every directory";
  const st = host.lstat(dir);
  if (!st.ok) return `its directory ${dir} cannot be inspected (${st.code})`;
  const { mode, uid: owner } = st.value;
  const writableByUser = (owner === uid && (mode & 0o200) !== 0) || (mode & 0o022) !== 0;
  if (!writableByUser) return undefined;
  if ((mode & 0o1000) !== 0 && owner !== uid) {
    const l = host.lstat(link);
    if (l.ok && l.value.uid !== uid) return undefined;
  }
  return `its directory ${dir} is writable by uid ${uid}`;
}
