/**
 * The skeleton root (../../backends/oci/lower.ts) as a ustar archive, for
 * `docker import`: Docker needs an image, and no registry is reachable. A few
 * KiB: an empty directory per top-level host directory, the host's top-level
 * symlinks, empty files; the host's directories are bound over them at run
 * time. Deterministic (owner 0, mtime 0), so the same host gives the same
 * archive and the image is imported once (its tag is the archive's hash).
 */
import { createHash } from "node:crypto";
import type { ConcreteSkeleton } from "../../backends/oci/index.js";

const BLOCK = 512;

function header(name: string, kind: "dir" | "file" | "symlink", mode: number, link = ""): Buffer {
  const h = Buffer.alloc(BLOCK);
  const put = (text: string, at: number, len: number): void => {
    const b = Buffer.from(text, "utf8");
    if (b.length > len) throw new Error(`skeleton entry ${JSON.stringify(text)} is too long for a tar header`);
    b.copy(h, at);
  };
  const octal = (n: number, at: number, len: number): void => put(n.toString(8).padStart(len - 1, "0"), at, len - 1);
  put(kind === "dir" ? `${name}/` : name, 0, 100);
  octal(mode, 100, 8);
  octal(0, 108, 8);
  octal(0, 116, 8);
  octal(0, 124, 12);
  octal(0, 136, 12);
  h.fill(" ", 148, 156);
  put(kind === "dir" ? "5" : kind === "symlink" ? "2" : "0", 156, 1);
  put(link, 157, 100);
  put("ustar", 257, 6);
  put("00", 263, 2);
  let sum = 0;
  for (const byte of h) sum += byte;
  put(`${sum.toString(8).padStart(6, "0")}\0 `, 148, 8);
  return h;
}

export function skeletonTar(root: ConcreteSkeleton): Buffer {
  const blocks: Buffer[] = [];
  for (const e of root.entries) {
    if (e.kind === "symlink") blocks.push(header(e.path, "symlink", 0o777, e.target));
    else if (e.kind === "dir") blocks.push(header(e.path, "dir", e.path === "tmp" ? 0o1777 : 0o755));
    else blocks.push(header(e.path, "file", 0o644));
  }
  blocks.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(blocks);
}

/** The image tag for an archive: srt-root:<first 16 hex digits of its sha256>. */
export const skeletonImageTag = (tar: Buffer): string =>
  `srt-root:${createHash("sha256").update(tar).digest("hex").slice(0, 16)}`;
