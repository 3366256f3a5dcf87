/**
 * The real Host: the compiler's view of this machine through node:fs. Errors
 * are mapped to the few codes the compiler understands; anything else is
 * reported as EIO so the compile fails closed instead of guessing.
 */
import { lstatSync, readdirSync, readlinkSync, realpathSync, type Dirent, type Stats } from "node:fs";
import { homedir } from "node:os";
import type { DirEntry, Host, HostErrorCode, HostResult, NodeKind } from "../compiler/host.js";

const known: ReadonlySet<string> = new Set(["ENOENT", "ENOTDIR", "EACCES", "ELOOP", "EILSEQ"]);

function attempt<T>(f: () => T): HostResult<T> {
  try {
    return { ok: true, value: f() };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "EIO";
    return { ok: false, code: (known.has(code) ? code : code === "EPERM" ? "EACCES" : "EIO") as HostErrorCode };
  }
}

const kindOf = (s: Stats | Dirent): NodeKind => (s.isSymbolicLink() ? "symlink" : s.isDirectory() ? "dir" : s.isFile() ? "file" : "other");

export interface NodeHostOptions {
  readonly cwd?: string;
  readonly home?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export function createNodeHost(options: NodeHostOptions = {}): Host {
  const vars = Object.fromEntries(Object.entries(options.env ?? process.env).filter((e): e is [string, string] => e[1] !== undefined));
  return {
    lstat: (path) =>
      attempt(() => {
        const s = lstatSync(path);
        return { kind: kindOf(s), uid: s.uid, mode: s.mode & 0o7777 };
      }),
    realpath: (path) => attempt(() => realpathSync.native(path)),
    readdir: (path) =>
      attempt((): DirEntry[] =>
        readdirSync(path, { withFileTypes: true, encoding: "buffer" }).map((raw) => {
          const name = raw.name.toString("utf8");
          if (!Buffer.from(name, "utf8").equals(raw.name)) throw Object.assign(new Error("non-UTF-8 name"), { code: "EILSEQ" });
          const d = raw as unknown as Dirent;
          // Some file systems report DT_UNKNOWN; only then pay for an lstat.
          const known = d.isFile() || d.isDirectory() || d.isSymbolicLink() || d.isFIFO() || d.isSocket() || d.isBlockDevice() || d.isCharacterDevice();
          return { name, kind: known ? kindOf(d) : kindOf(lstatSync(`${path}/${name}`)) };
        }),
      ),
    readlink: (path) => attempt(() => readlinkSync(path)),
    now: () => performance.now(),
    env: {
      cwd: options.cwd ?? process.cwd(),
      home: options.home ?? vars["HOME"] ?? homedir(),
      platform: process.platform === "darwin" ? "darwin" : "linux",
      arch: process.arch === "arm64" ? "arm64" : "x64",
      uid: process.getuid?.() ?? -1,
      vars,
    },
  };
}
