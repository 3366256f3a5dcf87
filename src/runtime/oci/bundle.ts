/**
 * Writes a run's OCI bundle into its run directory: config.json and the
 * skeleton directories (the root, each read mask, the state directory). The
 * run directory is srt's (0700, in the state directory, hidden in every
 * sandbox), so nothing but srt can change the bundle before runc reads it.
 */
import type { ConcreteBundle } from "../../backends/oci/index.js";

export interface BundleFs {
  mkdir(path: string, mode: number): void;
  writeFile(path: string, text: string, mode: number): void;
  symlink(target: string, path: string): void;
}

export function writeBundle(
  fs: BundleFs,
  dir: string,
  bundle: ConcreteBundle,
  opts: { readonly exists?: true } = {},
): void {
  if (opts.exists !== true) fs.mkdir(dir, 0o700);
  fs.mkdir(`${dir}/skeleton`, 0o700);
  for (const s of bundle.skeletons) {
    fs.mkdir(s.dir, 0o755);
    for (const e of s.entries) {
      const at = `${s.dir}/${e.path}`;
      if (e.kind === "symlink") fs.symlink(e.target, at);
      else if (e.kind === "dir") mkdirs(fs, s.dir, e.path);
      else fs.writeFile(at, "", 0o644);
    }
  }
  fs.writeFile(`${dir}/config.json`, JSON.stringify(bundle.config), 0o600);
}

/** One level at a time, tolerating only what this skeleton made already. */
function mkdirs(fs: BundleFs, root: string, rel: string): void {
  let at = root;
  for (const part of rel.split("/")) {
    at = `${at}/${part}`;
    try {
      fs.mkdir(at, 0o755);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
  }
}
