/**
 * The host's top-level entries, which the OCI backend copies into the
 * skeleton root (src/backends/oci/lower.ts): read here, at the edge, so the
 * backend stays pure. A name that is not plain (a newline, a slash) cannot
 * occur in readdir; anything that is neither a directory, a file nor a
 * symlink (a socket at /) is copied as a file mount point and bound over.
 */
import { lstatSync, readdirSync, readlinkSync } from "node:fs";
import type { RootEntry } from "../../backends/oci/index.js";

export function hostRootEntries(root = "/"): RootEntry[] {
  return readdirSync(root)
    .sort()
    .map((name): RootEntry => {
      const path = `${root === "/" ? "" : root}/${name}`;
      const st = lstatSync(path);
      if (st.isSymbolicLink()) return { name, kind: "symlink", target: readlinkSync(path) };
      return { name, kind: st.isDirectory() ? "dir" : st.isFile() ? "file" : "other" };
    });
}
