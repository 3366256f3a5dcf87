/**
 * Random policies made the way real ones are: random settings and a random
 * file system, compiled by the real compiler (so mandatory denies, symlinks
 * and glob expansions are what users get), for the backend properties.
 */
import fc from "fast-check";
import { compileSettings, type Policy, type Target } from "../../src/compiler/index.js";
import { createFixtureHost, type FixtureFs } from "../support/fixture-host.js";

const home = "/Users/u";
const cwd = "/Users/u/proj";
/** Names with the characters that break naive quoting or regexes, and names the mandatory rules know. */
const names = [
  "a",
  "b",
  "s p",
  'q"x',
  "x.pem",
  "r(1)+$",
  "ü",
  ".git",
  ".bashrc",
  ".vscode",
  "hooks",
  "config",
  ".ssh",
  "k[1]",
];
const relPath = fc.array(fc.constantFrom(...names), { minLength: 1, maxLength: 3 }).map((s) => s.join("/"));
/** How a settings entry spells a path: relative to cwd, under ~, absolute, or as a glob. */
const spelled = fc.oneof(
  relPath,
  relPath.map((p) => `~/${p}`),
  relPath.map((p) => `${cwd}/${p}`),
  fc.constantFrom("~/**/*.pem", "**/config", "~/proj/*/hooks", "~/.ssh/*", "?", "~/[ab]/*", "~/*.pem"),
);
const entries = fc.array(spelled, { maxLength: 4 });

export interface RandomCase {
  readonly settings: object;
  readonly fs: FixtureFs;
}

export const randomCase: fc.Arbitrary<RandomCase> = fc
  .record({
    denyRead: entries,
    allowRead: entries,
    allowWrite: fc.array(fc.oneof(spelled, fc.constant(".")), { minLength: 1, maxLength: 3 }),
    denyWrite: entries,
    allowGitConfig: fc.boolean(),
    allowPty: fc.boolean(),
    allowLocalBinding: fc.boolean(),
    allowAllUnixSockets: fc.boolean(),
    sockets: fc.array(
      relPath.map((p) => `${home}/${p}.sock`),
      { maxLength: 2 },
    ),
    files: fc.array(relPath, { maxLength: 12 }),
    dirs: fc.array(relPath, { maxLength: 6 }),
    link: fc.option(fc.tuple(relPath, relPath)),
  })
  .map((r) => {
    const under = (base: string) => (p: string) => `${base}/${p}`;
    const files = [...new Set([...r.files.map(under(cwd)), ...r.files.slice(0, 4).map(under(home))])];
    // A path cannot be a file and also hold something below it.
    const all = [...files, ...r.dirs.map(under(cwd))];
    const okFiles = files.filter((f) => !all.some((o) => o.startsWith(`${f}/`)));
    const symlinks: Record<string, string> = {};
    if (r.link !== null) {
      const [from, to] = r.link;
      const path = `${home}/link-${from.replaceAll("/", "_")}`;
      symlinks[path] = `${cwd}/${to}`;
    }
    const fs: FixtureFs = {
      files: okFiles,
      dirs: [cwd, ...r.dirs.map(under(cwd)).filter((d) => !okFiles.some((f) => d === f || d.startsWith(`${f}/`)))],
      symlinks,
    };
    const denyRead = [...r.denyRead, ...Object.keys(symlinks).map((l) => l)];
    const settings = {
      filesystem: {
        denyRead,
        allowRead: r.allowRead,
        allowWrite: r.allowWrite,
        denyWrite: r.denyWrite,
        allowGitConfig: r.allowGitConfig,
      },
      network: {
        allowLocalBinding: r.allowLocalBinding,
        allowAllUnixSockets: r.allowAllUnixSockets,
        allowUnixSockets: r.sockets,
      },
      allowPty: r.allowPty,
    };
    return { settings, fs };
  });

/** The compiled policy, or undefined when the compiler rejected the random settings (errors, not warnings). */
export function compileRandom(c: RandomCase, target: Target = "macos"): Policy | undefined {
  const result = compileSettings({
    text: JSON.stringify(c.settings),
    file: `${home}/.srt-settings.json`,
    host: createFixtureHost(c.fs, { cwd, home, platform: target === "macos" ? "darwin" : "linux" }),
    target,
  });
  return result.policy;
}

/** Random cases that compile. */
export const randomPolicy = (target: Target = "macos"): fc.Arbitrary<Policy> =>
  randomCase.map((c) => compileRandom(c, target)).filter((p): p is Policy => p !== undefined);
