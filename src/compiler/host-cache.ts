/**
 * One compile sees one file system: every walk (ten globs, the mandatory
 * search, symlink resolution) asks the Host through this memo, so a directory
 * is listed once however many walks cross it, and all of them agree on what
 * they saw. Made per compile: nothing is cached between compiles, when the
 * file system may have changed.
 */
import type { DirEntry, Host, HostResult, HostStat } from "./host.js";

export function createHostCache(host: Host): Host {
  const lstats = new Map<string, HostResult<HostStat>>();
  const listings = new Map<string, HostResult<readonly DirEntry[]>>();
  const links = new Map<string, HostResult<string>>();
  const files = new Map<string, HostResult<string>>();
  const memo = <T>(cache: Map<string, T>, key: string, load: () => T): T => {
    let v = cache.get(key);
    if (v === undefined) cache.set(key, (v = load()));
    return v;
  };
  return {
    lstat: (path) => memo(lstats, path, () => host.lstat(path)),
    realpath: (path) => host.realpath(path),
    readdir: (path) => memo(listings, path, () => host.readdir(path)),
    readlink: (path) => memo(links, path, () => host.readlink(path)),
    // Keyed by the bound too, so two readers with different limits each get their own answer.
    readFile: (path, maxBytes) => memo(files, `${maxBytes}\0${path}`, () => host.readFile(path, maxBytes)),
    now: () => host.now(),
    env: host.env,
  };
}
