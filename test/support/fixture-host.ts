/**
 * An in-memory Host built from a fixture's description of a file system, so
 * compiler tests and goldens never depend on the machine they run on.
 */
import { resolveReal } from "../../src/compiler/resolve.js";
import type { DirEntry, Host, HostErrorCode, HostResult, NodeKind } from "../../src/compiler/host.js";

export interface FixtureFs {
  /** Regular files (parent directories are implied). */
  readonly files?: readonly string[];
  /** Regular files with contents (git config, `.git` files): path → text. */
  readonly contents?: Readonly<Record<string, string>>;
  /** Directories, empty or not. */
  readonly dirs?: readonly string[];
  /** Symlink path → target text (relative targets resolve against the link's directory). */
  readonly symlinks?: Readonly<Record<string, string>>;
  /** Other node kinds (sockets, fifos). */
  readonly others?: readonly string[];
  /** Directories that cannot be listed (EACCES). */
  readonly unreadable?: readonly string[];
  /** Directories that can be listed but not entered (mode 644): anything below them is EACCES. */
  readonly unsearchable?: readonly string[];
  /**
   * Owners by path. Default: the user (env.uid) for the home directory and
   * everything below it, root elsewhere — as on a real machine.
   */
  readonly owners?: Readonly<Record<string, number>>;
  /** Permission bits by path, octal text ("1777"). Default: 755 directories, 777 links, 644 the rest. */
  readonly modes?: Readonly<Record<string, string>>;
}

export interface FixtureEnv {
  readonly cwd: string;
  readonly home: string;
  readonly uid?: number;
  /** srt's state directory; default /tmp/srt-<uid>. */
  readonly stateDir?: string;
  readonly platform?: "linux" | "darwin";
  readonly vars?: Readonly<Record<string, string>>;
}

type Node =
  | { kind: "dir"; children: Map<string, Node> }
  | { kind: "file"; text?: string }
  | { kind: "other" }
  | { kind: "symlink"; target: string };

export function createFixtureHost(fs: FixtureFs, env: FixtureEnv): Host {
  const root: Node = { kind: "dir", children: new Map() };
  const ensureDir = (path: string): Map<string, Node> => {
    let node = root;
    for (const seg of path.split("/").filter(Boolean)) {
      let next = node.children.get(seg);
      if (next === undefined) node.children.set(seg, (next = { kind: "dir", children: new Map() }));
      if (next.kind !== "dir") throw new Error(`fixture: ${path} crosses a non-directory at ${seg}`);
      node = next;
    }
    return node.children;
  };
  const put = (path: string, node: Node): void => {
    const i = path.lastIndexOf("/");
    ensureDir(path.slice(0, i)).set(path.slice(i + 1), node);
  };
  for (const d of fs.dirs ?? []) ensureDir(d);
  for (const f of fs.files ?? []) put(f, { kind: "file" });
  for (const [f, text] of Object.entries(fs.contents ?? {})) put(f, { kind: "file", text });
  for (const o of fs.others ?? []) put(o, { kind: "other" });
  for (const [p, target] of Object.entries(fs.symlinks ?? {})) put(p, { kind: "symlink", target });
  const unreadable = new Set(fs.unreadable ?? []);
  const unsearchable = new Set(fs.unsearchable ?? []);

  /** Lexical lookup without following the last component; intermediate symlinks are followed. */
  const lookup = (path: string, followLast: boolean, hops = 0): HostResult<Node> => {
    if (hops > 40) return fail("ELOOP");
    const segs = path.split("/").filter(Boolean);
    let node: Node = root;
    let at = "";
    for (let i = 0; i < segs.length; i++) {
      if (node.kind === "symlink") {
        const r = lookup(resolveLink(at, node.target), true, hops + 1);
        if (!r.ok) return r;
        node = r.value;
      }
      if (node.kind !== "dir") return fail("ENOTDIR");
      if (unsearchable.has(at)) return fail("EACCES");
      const next = node.children.get(segs[i]!);
      if (next === undefined) return fail("ENOENT");
      at = `${at}/${segs[i]}`;
      node = next;
    }
    if (followLast && node.kind === "symlink") return lookup(resolveLink(at, node.target), true, hops + 1);
    return { ok: true, value: node };
  };

  const uid = env.uid ?? 1000;
  const ownerOf = (path: string): number =>
    fs.owners?.[path] ?? (path === env.home || path.startsWith(`${env.home}/`) ? uid : 0);
  const modeOf = (path: string, kind: Node["kind"]): number => {
    const m = fs.modes?.[path];
    return m !== undefined ? parseInt(m, 8) : kind === "dir" ? 0o755 : kind === "symlink" ? 0o777 : 0o644;
  };
  // cwd and home exist; either may be reached through a symlink the fixture declares.
  for (const d of [env.cwd, env.home]) if (!lookup(d, true).ok) ensureDir(d);

  const host: Host = {
    lstat: (path) => {
      const r = lookup(path, false);
      return r.ok
        ? { ok: true, value: { kind: r.value.kind as NodeKind, uid: ownerOf(path), mode: modeOf(path, r.value.kind) } }
        : r;
    },
    realpath: (path) => {
      const r = resolveReal(host, path);
      if (!r.ok) return fail(r.code);
      return r.node === "absent" ? fail("ENOENT") : { ok: true, value: r.real };
    },
    readdir: (path) => {
      if (unreadable.has(path)) return fail("EACCES");
      const r = lookup(path, true);
      if (!r.ok) return r;
      if (r.value.kind !== "dir") return fail("ENOTDIR");
      return { ok: true, value: [...r.value.children].map(([name, n]): DirEntry => ({ name, kind: n.kind })) };
    },
    readlink: (path) => {
      const r = lookup(path, false);
      if (!r.ok) return r;
      return r.value.kind === "symlink" ? { ok: true, value: r.value.target } : fail("EIO");
    },
    readFile: (path, maxBytes) => {
      const r = lookup(path, true);
      if (!r.ok) return r;
      if (r.value.kind !== "file") return fail("EIO");
      const text = r.value.text ?? "";
      return new TextEncoder().encode(text).length > maxBytes ? fail("EFBIG") : { ok: true, value: text };
    },
    now: () => 0,
    env: {
      cwd: env.cwd,
      home: env.home,
      platform: env.platform ?? "linux",
      uid,
      stateDir: env.stateDir ?? `/tmp/srt-${uid}`,
      vars: env.vars ?? {},
    },
  };
  return host;
}

function resolveLink(linkPath: string, target: string): string {
  return target.startsWith("/") ? target : `${linkPath.slice(0, linkPath.lastIndexOf("/"))}/${target}`;
}

const fail = (code: HostErrorCode): { ok: false; code: HostErrorCode } => ({ ok: false, code });
