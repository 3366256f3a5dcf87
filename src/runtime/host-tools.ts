/**
 * Which host program srt starts for a name (bwrap, socat, nsenter, setpriv,
 * the watchdog's sh). These run outside every sandbox, before one exists, so
 * whoever can replace one owns the host. PATH is the caller's, and `npx srt`
 * or an npm script puts the project's node_modules/.bin first — a directory
 * the sandboxed command can write by default. So PATH is never consulted.
 *
 * A name is looked up in a fixed list of system directories, and a candidate
 * is accepted only if nothing but root can change what it resolves to: the
 * file and every directory looked into while resolving it (each symlink hop
 * included) are owned by root and writable by neither group nor others. A
 * candidate that fails is skipped (and named when nothing is found), never run.
 *
 * The file system is injected, so the rule is tested without touching /usr.
 */
import { lstatSync, readlinkSync } from "node:fs";

/** Where host tools may come from, in this order (the usual root PATH, minus anything a user controls). */
export const systemToolDirs: readonly string[] = [
  "/usr/local/sbin",
  "/usr/local/bin",
  "/usr/sbin",
  "/usr/bin",
  "/sbin",
  "/bin",
];

export interface ToolFsEntry {
  readonly kind: "file" | "dir" | "symlink" | "other";
  readonly uid: number;
  /** st_mode permission bits (at least the low 12). */
  readonly mode: number;
}

/** The two questions the lookup asks; undefined = does not exist (or cannot be inspected). */
export interface ToolFs {
  lstat(path: string): ToolFsEntry | undefined;
  readlink(path: string): string | undefined;
}

export interface FoundTool {
  readonly name: string;
  /** The spelling srt runs (a system directory + name). */
  readonly path: string;
  /** The file it resolves to. */
  readonly real: string;
  /** Every directory looked into while resolving it, and the file: what must stay out of a sandbox's reach. */
  readonly depends: readonly string[];
}

export type ToolLookup =
  | { readonly ok: true; readonly tool: FoundTool }
  | { readonly ok: false; readonly name: string; readonly rejected: readonly string[] };

/** Linux MAXSYMLINKS. */
const MAX_HOPS = 40;

const parent = (p: string): string => (p.lastIndexOf("/") <= 0 ? "/" : p.slice(0, p.lastIndexOf("/")));
const child = (dir: string, name: string): string => (dir === "/" ? `/${name}` : `${dir}/${name}`);

/** Why root alone does not control this entry, or undefined when it does. */
function distrust(path: string, e: ToolFsEntry): string | undefined {
  if (e.uid !== 0) return `${path} is owned by uid ${e.uid}, not root`;
  if ((e.mode & 0o022) !== 0)
    return `${path} is writable by ${(e.mode & 0o020) !== 0 ? "its group" : "others"} (mode ${(e.mode & 0o7777).toString(8).padStart(4, "0")})`;
  return undefined;
}

type Resolution =
  | { readonly kind: "ok"; readonly real: string; readonly depends: readonly string[] }
  | { readonly kind: "missing" }
  | { readonly kind: "untrusted"; readonly why: string };

/** Follows `path` as the kernel would (lstat/readlink only), checking each directory before looking into it. */
export function resolveTrusted(path: string, fs: ToolFs): Resolution {
  const pending = path.split("/").filter(Boolean);
  const depends: string[] = [];
  const checked = new Set<string>();
  let current = "/";
  let hops = 0;
  const enter = (dir: string): string | undefined => {
    if (checked.has(dir)) return undefined;
    const e = fs.lstat(dir);
    if (e === undefined || e.kind !== "dir") return `${dir} is not a directory`;
    const why = distrust(dir, e);
    if (why !== undefined) return why;
    checked.add(dir);
    depends.push(dir);
    return undefined;
  };
  while (pending.length > 0) {
    const name = pending.shift()!;
    if (name === ".") continue;
    if (name === "..") {
      current = parent(current);
      continue;
    }
    const why = enter(current);
    if (why !== undefined) return { kind: "untrusted", why };
    const next = child(current, name);
    const e = fs.lstat(next);
    if (e === undefined) return { kind: "missing" };
    if (e.kind === "symlink") {
      if (++hops > MAX_HOPS) return { kind: "untrusted", why: `${path}: too many levels of symbolic links` };
      const link = fs.readlink(next);
      if (link === undefined) return { kind: "missing" };
      pending.unshift(...link.split("/").filter(Boolean));
      if (link.startsWith("/")) current = "/";
      continue;
    }
    if (pending.length > 0) {
      if (e.kind !== "dir") return { kind: "missing" };
      current = next;
      continue;
    }
    if (e.kind !== "file") return { kind: "untrusted", why: `${next} is not a regular file` };
    if ((e.mode & 0o111) === 0) return { kind: "untrusted", why: `${next} is not executable` };
    const bad = distrust(next, e);
    if (bad !== undefined) return { kind: "untrusted", why: bad };
    return { kind: "ok", real: next, depends: [...depends, next] };
  }
  return { kind: "untrusted", why: `${path} is a directory` };
}

/** The first trusted `dir/name` in the system directories; otherwise the candidates that were refused and why. */
export function locateTool(name: string, fs: ToolFs, dirs: readonly string[] = systemToolDirs): ToolLookup {
  const rejected: string[] = [];
  for (const dir of dirs) {
    const path = child(dir, name);
    const r = resolveTrusted(path, fs);
    if (r.kind === "ok") return { ok: true, tool: { name, path, real: r.real, depends: r.depends } };
    if (r.kind === "untrusted") rejected.push(`${path} (${r.why})`);
  }
  return { ok: false, name, rejected };
}

/** What a missing tool costs, with the fix. */
export function missingToolsMessage(missing: readonly Extract<ToolLookup, { ok: false }>[], install: string): string {
  const names = missing.map((m) => m.name).join(", ");
  const ignored = missing.flatMap((m) => m.rejected);
  return (
    `${names} not found in ${systemToolDirs.join(", ")} (srt starts host programs only from these directories, never from PATH, and only files that nothing but root can change)` +
    (ignored.length > 0 ? `; ignored: ${ignored.join("; ")}` : "") +
    `; install with: ${install}`
  );
}

/** The real file system. */
export const nodeToolFs: ToolFs = {
  lstat(path) {
    try {
      const st = lstatSync(path);
      return {
        kind: st.isSymbolicLink() ? "symlink" : st.isDirectory() ? "dir" : st.isFile() ? "file" : "other",
        uid: st.uid,
        mode: st.mode,
      };
    } catch {
      return undefined;
    }
  },
  readlink(path) {
    try {
      return readlinkSync(path);
    } catch {
      return undefined;
    }
  },
};
