/**
 * Standing invariants of the compiler, checked with generated inputs:
 * compiling twice gives the same bytes, input order does not matter,
 * normalizing a normalized path changes nothing, and adding a deny never
 * removes one.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileSettings, type FsRule, type Policy } from "../../src/compiler/index.js";
import { normalizePath } from "../../src/compiler/paths.js";
import { createFixtureHost } from "../support/fixture-host.js";

const env = { cwd: "/home/u/proj", home: "/home/u" };
const host = createFixtureHost(
  {
    files: [
      "/home/u/.ssh/id_rsa",
      "/home/u/.aws/credentials",
      "/home/u/proj/a.pem",
      "/home/u/proj/src/b.pem",
      "/home/u/proj/src/c.ts",
      "/home/u/proj/.git/config",
    ],
    dirs: ["/home/u/proj/.git/hooks", "/home/u/proj/out", "/home/u/cache"],
    symlinks: { "/home/u/proj/link": "../cache" },
  },
  env,
);

const pathPool = [
  "~/.ssh",
  "~/.aws/credentials",
  "src",
  "src/*.pem",
  "**/*.pem",
  "out",
  "link",
  "~/cache",
  "/etc/passwd",
  "./src/../out",
  "~/nothing",
];
const domainPool = ["example.com", "*.example.com", "api.example.com:443", "127.0.0.1", "[::1]:8080", "localhost"];
const sub = <T>(pool: readonly T[]) => fc.uniqueArray(fc.constantFrom(...pool), { maxLength: 5 });
const settingsArb = fc.record({
  denyRead: sub(pathPool),
  allowRead: sub(pathPool),
  allowWrite: sub(pathPool),
  denyWrite: sub(pathPool),
  allowedDomains: sub(domainPool),
  deniedDomains: sub(domainPool),
});
type S = typeof settingsArb extends fc.Arbitrary<infer T> ? T : never;

/** "link" (-> ../cache) lies in the user's own project: writable only with its target named (SRT306). */
const withTarget = (allowWrite: readonly string[]): string[] =>
  allowWrite.includes("link") && !allowWrite.includes("~/cache") ? [...allowWrite, "~/cache"] : [...allowWrite];
const toSettings = (s: S) => ({
  filesystem: {
    denyRead: s.denyRead,
    allowRead: s.allowRead,
    allowWrite: withTarget(s.allowWrite),
    denyWrite: s.denyWrite,
  },
  network: { allowedDomains: s.allowedDomains, deniedDomains: s.deniedDomains },
});
const compile = (settings: unknown): Policy => {
  const r = compileSettings({
    text: JSON.stringify(settings),
    file: "/home/u/.srt-settings.json",
    host,
    target: "linux",
  });
  if (!r.policy) throw new Error(JSON.stringify(r.diagnostics));
  return r.policy;
};
const reversed = (s: S): S => ({
  denyRead: [...s.denyRead].reverse(),
  allowRead: [...s.allowRead].reverse(),
  allowWrite: [...s.allowWrite].reverse(),
  denyWrite: [...s.denyWrite].reverse(),
  allowedDomains: [...s.allowedDomains].reverse(),
  deniedDomains: [...s.deniedDomains].reverse(),
});
/** Origins carry list indices, so compare rules without them. */
const shape = (rules: readonly FsRule[]): string[] =>
  rules
    .map((r) => (r.kind === "path" ? `${r.access} ${r.effect} ${r.path}` : `${r.access} ${r.effect} glob ${r.pattern}`))
    .sort();
const denies = (p: Policy): Set<string> => new Set(shape(p.filesystem.rules.filter((r) => r.effect === "deny")));

describe("compiler invariants", () => {
  it("compiling twice gives identical bytes", () => {
    fc.assert(
      fc.property(
        settingsArb,
        (s) => JSON.stringify(compile(toSettings(s))) === JSON.stringify(compile(toSettings(s))),
      ),
      { numRuns: 150 },
    );
  });

  it("input order does not change the rules", () => {
    fc.assert(
      fc.property(settingsArb, (s) => {
        const a = compile(toSettings(s));
        const b = compile(toSettings(reversed(s)));
        expect(shape(b.filesystem.rules)).toEqual(shape(a.filesystem.rules));
        const net = (p: Policy) =>
          p.network.rules.map((r) => `${r.effect} ${JSON.stringify(r.host)} ${r.port ?? ""}`).sort();
        expect(net(b)).toEqual(net(a));
      }),
      { numRuns: 150 },
    );
  });

  it("adding a deny never removes a deny", () => {
    fc.assert(
      fc.property(
        settingsArb,
        fc.constantFrom(...pathPool),
        fc.constantFrom("denyRead" as const, "denyWrite" as const),
        (s, extra, list) => {
          const before = denies(compile(toSettings(s)));
          const after = denies(compile(toSettings({ ...s, [list]: [...new Set([...s[list], extra])] })));
          for (const d of before) expect(after.has(d), d).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("normalizing a normalized path is the identity", () => {
    const seg = fc.constantFrom("a", "b", ".", "..", "", "*", "**", "c d", "é", "[x]");
    fc.assert(
      fc.property(
        fc.array(seg, { minLength: 1, maxLength: 6 }),
        fc.boolean(),
        fc.boolean(),
        (segs, absolute, literal) => {
          const raw = (absolute ? "/" : "") + segs.join("/");
          const once = normalizePath(raw, literal, env);
          if (!once.ok) return;
          const twice = normalizePath(once.spec.path, literal, env);
          expect(twice).toEqual(once);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("every mandatory deny survives any user allow", () => {
    fc.assert(
      fc.property(settingsArb, (s) => {
        // "link" in a writable "." leads out of it: that is an error (SRT306), tested on its own below.
        const p = compile(toSettings({ ...s, allowWrite: [...s.allowWrite.filter((w) => w !== "link"), "."] }));
        const mandatory = p.filesystem.rules
          .filter((r) => r.origin.startsWith("mandatory:"))
          .map((r) => (r.kind === "path" ? r.path : r.pattern));
        expect(mandatory).toContain("/home/u/proj/.git/hooks");
        expect(mandatory).toContain("/home/u/proj/.git/config");
      }),
      { numRuns: 50 },
    );
  });

  it("a writable path through a symlink a sandbox could have made is refused, unless its target is named", () => {
    const run = (allowWrite: string[], on = host) =>
      compileSettings({
        text: JSON.stringify({ filesystem: { allowWrite } }),
        file: "/home/u/.srt-settings.json",
        host: on,
        target: "linux",
      });
    expect(run([".", "link"]).diagnostics).toEqual([
      expect.objectContaining({ code: "SRT306", pointer: "/filesystem/allowWrite/1" }),
    ]);
    expect(run([".", "link", "~/cache"]).policy).toBeDefined();
    // The project is the user's: an earlier run that could write it could have made the link.
    expect(run(["link"]).diagnostics).toEqual([
      expect.objectContaining({ code: "SRT306", pointer: "/filesystem/allowWrite/0" }),
    ]);
    expect(run(["link", "~/cache"]).policy).toBeDefined();
    // In a directory the user cannot write, no sandbox of theirs made it; as root, every directory counts.
    const fs = {
      dirs: ["/home/u/proj", "/home/u/cache"],
      symlinks: { "/home/u/proj/link": "../cache" },
      owners: { "/home/u/proj": 0 },
    };
    expect(run(["link"], createFixtureHost(fs, env)).policy).toBeDefined();
    expect(run(["link"], createFixtureHost(fs, { ...env, uid: 0 })).diagnostics).toEqual([
      expect.objectContaining({ code: "SRT306" }),
    ]);
    expect(run(["link"], createFixtureHost({ ...fs, modes: { "/home/u/proj": "775" } }, env)).diagnostics).toEqual([
      expect.objectContaining({ code: "SRT306" }),
    ]);
    // Sticky and writable by all (/tmp): only a link of the user's own could be theirs.
    const sticky = { ...fs, modes: { "/home/u/proj": "1777" }, owners: { "/home/u/proj": 0, "/home/u/proj/link": 0 } };
    expect(run(["link"], createFixtureHost(sticky, env)).policy).toBeDefined();
    expect(
      run(["link"], createFixtureHost({ ...sticky, owners: { "/home/u/proj": 0, "/home/u/proj/link": 1000 } }, env))
        .diagnostics,
    ).toEqual([expect.objectContaining({ code: "SRT306" })]);
  });
});
