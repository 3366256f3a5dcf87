/** Unit tests of the pure stages that goldens exercise only indirectly. */
import { describe, expect, it } from "vitest";
import { createBudget } from "../../src/compiler/budget.js";
import { applyEnvPolicy } from "../../src/compiler/env-policy.js";
import { compileSettings } from "../../src/compiler/index.js";
import { expandGlob } from "../../src/compiler/glob.js";
import { lineColumn, locateJson, offsetOfPointer } from "../../src/compiler/json-locate.js";
import { parseSettings } from "../../src/compiler/parse.js";
import { normalizePath } from "../../src/compiler/paths.js";
import { resolveReal } from "../../src/compiler/resolve.js";
import { closest } from "../../src/compiler/suggest.js";
import { createFixtureHost } from "../support/fixture-host.js";

const env = { cwd: "/w", home: "/h" };

describe("json-locate", () => {
  const text = '{\n  "a": {"b": [1, {"c/d": 2}]},\n  "e~f": true\n}';
  const loc = locateJson(text);
  it("maps pointers to the key or item they name", () => {
    expect(lineColumn(text, offsetOfPointer(loc, "/a/b/1/c~1d"))).toEqual({ line: 2, column: 19 });
    expect(lineColumn(text, offsetOfPointer(loc, "/e~0f"))).toEqual({ line: 3, column: 3 });
    expect(lineColumn(text, offsetOfPointer(loc, "/a/b/0"))).toEqual({ line: 2, column: 15 });
  });
  it("falls back to the closest located ancestor", () => {
    expect(offsetOfPointer(loc, "/a/zzz")).toBe(offsetOfPointer(loc, "/a"));
  });
  it("finds duplicate keys in nested objects, not across siblings", () => {
    expect(locateJson('{"x": {"k": 1}, "y": {"k": 2}}').duplicates).toEqual([]);
    expect(locateJson('{"x": {"k": 1, "k": 2}}').duplicates.map((d) => d.pointer)).toEqual(["/x/k"]);
  });
  it("is not fooled by brackets and quotes inside strings", () => {
    const l = locateJson('{"a": "[{\\"", "b": [0]}');
    expect(l.at.get("/b/0")).toBe(20);
  });
});

describe("parse", () => {
  it("accepts a BOM and reports syntax errors with an offset", () => {
    expect(parseSettings("\ufeff{}").ok).toBe(true);
    const r = parseSettings('{"a": }');
    expect(r.ok).toBe(false);
    expect(r.diagnostics[0]).toMatchObject({ code: "SRT103", offset: 6 });
  });
  it("counts size in UTF-8 bytes", () => {
    const r = parseSettings(`{"x": "${"é".repeat(600_000)}"}`);
    expect(r.diagnostics[0]?.code).toBe("SRT102");
  });
});

describe("suggest", () => {
  it("suggests near keys and ignores far ones", () => {
    expect(closest("filesytem", ["network", "filesystem"])).toBe("filesystem");
    expect(closest("ALLOWPTY", ["allowPty"])).toBe("allowPty");
    expect(closest("zzzzzz", ["network"])).toBeUndefined();
  });
});

describe("normalizePath", () => {
  const ok = (raw: string, literal = false) => {
    const r = normalizePath(raw, literal, env);
    if (!r.ok) throw new Error(r.message);
    return r.spec;
  };
  it.each([
    ["~", "/h", false],
    ["~/a//b/", "/h/a/b", false],
    ["./x/../y", "/w/y", false],
    ["/../..", "/", false],
    ["/a/**", "/a", false],
    ["/a/**/*.pem", "/a/**/*.pem", true],
    ["/a/b*", "/a/b*", true],
  ])("%s → %s (glob %s)", (raw, path, glob) => {
    expect(ok(raw)).toEqual({ path, glob });
  });
  it("literal entries never become globs", () => {
    expect(ok("/a/[x]*", true)).toEqual({ path: "/a/[x]*", glob: false });
  });
  it.each(["", " ", "a\0b", "~bob/x", "/**/x", "/a/*/../b", "/a/[b"])("refuses %j", (raw) => {
    expect(normalizePath(raw, false, env).ok).toBe(false);
  });
});

describe("resolveReal", () => {
  const host = createFixtureHost(
    {
      dirs: ["/r/real"],
      symlinks: { "/r/abs": "/r/real", "/r/rel": "real", "/r/chain": "abs", "/r/up": "../r/real", "/r/loop": "loop" },
    },
    env,
  );
  it.each([
    ["/r/abs/f", "/r/real/f", "absent"],
    ["/r/rel", "/r/real", "dir"],
    ["/r/chain/x/y", "/r/real/x/y", "absent"],
    ["/r/up", "/r/real", "dir"],
  ])("%s → %s", (p, real, node) => {
    expect(resolveReal(host, p)).toEqual({ ok: true, real, node });
  });
  it("reports loops", () => {
    expect(resolveReal(host, "/r/loop/x")).toMatchObject({ ok: false, code: "ELOOP" });
  });
});

describe("expandGlob", () => {
  const host = createFixtureHost(
    {
      files: ["/g/a/1.pem", "/g/a/2.pem", "/g/b/1.pem", "/g/b/x.txt", "/g/c.pem", "/s/k/3.pem", "/s/k/y.txt"],
      symlinks: { "/g/l": "/g/a", "/t/ext": "/s/k", "/t/loop": "/t", "/t/gone": "/nowhere" },
    },
    env,
  );
  const expand = (pattern: string, collapse: boolean) => {
    const r = expandGlob(host, pattern, createBudget(host, { maxEntries: 1000, maxMillis: 1000 }), collapse);
    if (!r.ok) throw new Error(r.reason);
    return r;
  };
  const run = (pattern: string, collapse: boolean) => expand(pattern, collapse).matches.map((m) => m.path);
  it("collapses a fully matched directory for denies only", () => {
    expect(run("/g/**/*.pem", true)).toEqual(["/g/a", "/g/b/1.pem", "/g/c.pem"]);
    expect(run("/g/a/*.pem", true)).toEqual(["/g/a/1.pem", "/g/a/2.pem"]); // the base itself is never collapsed
  });
  it("( ) | { } in names are ordinary characters, not picomatch regex syntax", () => {
    const odd = createFixtureHost(
      { files: ["/o/my (old) keys/a.pem", "/o/x{1,2}/b.pem", "/o/a|b/c.pem", "/o/deep/c (1).pem", "/o/deep/c 1.pem"] },
      env,
    );
    const found = (pattern: string) => {
      const r = expandGlob(odd, pattern, createBudget(odd, { maxEntries: 1000, maxMillis: 1000 }), false);
      return r.ok ? r.matches.map((m) => m.path) : r.reason;
    };
    expect(found("/o/my (old) keys/*.pem")).toEqual(["/o/my (old) keys/a.pem"]);
    expect(found("/o/x{1,2}/*.pem")).toEqual(["/o/x{1,2}/b.pem"]);
    expect(found("/o/a|b/*.pem")).toEqual(["/o/a|b/c.pem"]);
    expect(found("/o/**/c (1).pem")).toEqual(["/o/deep/c (1).pem"]);
    expect(found("/o/*/c (1|2).pem")).toEqual([]);
  });
  it("a ** spans any number of levels, also before a literal segment", () => {
    const deep = createFixtureHost(
      { files: ["/d/x/y/z/key.pem", "/d/x/y/z/n.txt", "/d/q/y/k.pem", "/d/q/w/y/k.pem"] },
      env,
    );
    const found = (pattern: string) => {
      const r = expandGlob(deep, pattern, createBudget(deep, { maxEntries: 1000, maxMillis: 1000 }), false);
      return r.ok ? r.matches.map((m) => m.path) : r.reason;
    };
    expect(found("/d/**/*.pem")).toEqual(["/d/q/w/y/k.pem", "/d/q/y/k.pem", "/d/x/y/z/key.pem"]);
    expect(found("/d/**/y/*.pem")).toEqual(["/d/q/w/y/k.pem", "/d/q/y/k.pem"]);
    expect(found("/d/*/y/**/*.pem")).toEqual(["/d/q/y/k.pem", "/d/x/y/z/key.pem"]);
  });
  it("walks a symlinked base at its real path and reports the real pattern", () => {
    // The kernel follows the link: a deny on /g/l/*.pem that matched nothing would let /g/a/1.pem be read.
    expect(expand("/g/l/*.pem", false)).toEqual({
      ok: true,
      matches: [
        { path: "/g/a/1.pem", kind: "file" },
        { path: "/g/a/2.pem", kind: "file" },
      ],
      realPattern: "/g/a/*.pem",
      unlistable: [],
    });
  });
  it("follows symlinked directories below the base, each real directory once, loops and dangling links included", () => {
    expect(run("/t/**/*.pem", false)).toEqual(["/t/ext/3.pem"]);
    expect(run("/g/**/1.pem", false)).toEqual(["/g/a/1.pem", "/g/b/1.pem"]); // /g/l is /g/a, already walked
  });
  it("reports a budget overrun instead of truncating", () => {
    const r = expandGlob(host, "/g/**/*.pem", createBudget(host, { maxEntries: 3, maxMillis: 1000 }), true);
    expect(r).toMatchObject({ ok: false, reason: "budget" });
  });
});

describe("directories an earlier run locked (chmod 000, chmod 644)", () => {
  const env = { cwd: "/w", home: "/h" };
  const compile = (fs: Parameters<typeof createFixtureHost>[0], settings: unknown = {}) =>
    compileSettings({
      text: JSON.stringify(settings),
      file: "/h/.srt-settings.json",
      host: createFixtureHost(fs, env),
      target: "linux",
    });
  const unlistable = (r: ReturnType<typeof compile>): string[] =>
    (r.policy?.filesystem.rules ?? [])
      .filter((x) => x.kind === "path" && x.origin === "mandatory:unlistable")
      .map((x) => (x.kind === "path" ? x.path : ""));

  it("one that cannot be listed is write-protected whole, with a warning, wherever the walk meets it", () => {
    const r = compile({
      dirs: ["/w/locked", "/w/a/.git/hooks", "/w/b/.claude"],
      unreadable: ["/w/locked", "/w/a/.git", "/w/b/.claude"],
    });
    // .claude is protected whole by its name already (agent-config): nothing in it needs listing.
    expect(unlistable(r)).toEqual(["/w/a/.git", "/w/locked"]);
    expect(
      (r.policy?.filesystem.rules ?? []).some(
        (x) =>
          x.kind === "path" &&
          x.path === "/w/b/.claude" &&
          x.effect === "deny" &&
          x.origin === "mandatory:agent-config",
      ),
    ).toBe(true);
    expect(r.diagnostics.map((d) => d.code)).toEqual(["SRT310", "SRT310"]);
  });

  it("one that can be listed but not entered is protected whole, and nothing inside it is bound", () => {
    const r = compile({ dirs: ["/w/a/b/c"], files: ["/w/a/.mcp.json", "/w/a/b/.npmrc"], unsearchable: ["/w/a"] });
    expect(unlistable(r)).toEqual(["/w/a"]);
    expect((r.policy?.filesystem.rules ?? []).filter((x) => x.kind === "path" && x.path.startsWith("/w/a/"))).toEqual(
      [],
    );
  });

  it("a read-deny glob masks it whole; an allow glob matches nothing there; both warn", () => {
    const fs = { dirs: ["/w/v/locked", "/w/v/open/c"], files: ["/w/v/open/x.key"], unreadable: ["/w/v/locked"] };
    const r = compile(fs, { filesystem: { denyRead: ["/w/v/**/*.key"], allowWrite: [".", "/w/v/*/c"] } });
    const paths = (r.policy?.filesystem.rules ?? [])
      .filter((x) => x.kind === "path" && x.access === "read")
      .map((x) => (x.kind === "path" ? x.path : ""));
    expect(paths).toEqual(["/w/v/locked", "/w/v/open/x.key"]);
    expect(r.diagnostics.map((d) => `${d.code} ${d.pointer}`).sort()).toEqual([
      "SRT310 /filesystem/allowWrite/0",
      "SRT310 /filesystem/denyRead/0",
      "SRT311 /filesystem/allowWrite/1",
    ]);
  });
});

describe("one compile lists each directory once", () => {
  it("globs and the mandatory search share the listings", () => {
    const base = createFixtureHost({ files: ["/w/a/b/k.pem", "/w/a/c/x.txt", "/w/d/.npmrc"] }, env);
    const listed: string[] = [];
    const host = { ...base, readdir: (p: string) => (listed.push(p), base.readdir(p)) };
    const r = compileSettings({
      text: JSON.stringify({ filesystem: { denyRead: ["/w/**/*.pem", "/w/**/*.txt", "/w/a/*/k.*"] } }),
      file: "/h/.srt-settings.json",
      host,
      target: "linux",
    });
    expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(listed.length).toBeGreaterThan(0);
    expect(listed.filter((p, i) => listed.indexOf(p) !== i)).toEqual([]);
  });
});

describe("applyEnvPolicy", () => {
  it("treats a variable named __proto__ like any other", () => {
    const vars = JSON.parse('{"__proto__": "p", "PATH": "/bin", "TOKEN": "t"}') as Record<string, string>;
    const r = applyEnvPolicy({ inherit: "none", allow: ["__proto__", "PATH"], deny: [], origin: "/env" }, vars);
    expect(Object.entries(r.passed)).toEqual([
      ["PATH", "/bin"],
      ["__proto__", "p"],
    ]);
    expect(r.withheld).toEqual(["TOKEN"]);
  });
});

describe("protected names that are symlinks", () => {
  const host = createFixtureHost(
    { files: ["/u/dot/bashrc"], symlinks: { "/u/.bashrc": "dot/bashrc" } },
    { cwd: "/u", home: "/u" },
  );
  const codes = (target: "linux" | "macos") =>
    compileSettings({ text: "{}", file: "/x/s.json", host, target }).diagnostics.map((d) => d.code);
  it("are refused on Linux, where the link could be replaced under a bind mount", () => {
    expect(codes("linux")).toContain("SRT307");
  });
  it("are fine on macOS, where Seatbelt denies writes to the spelled path", () => {
    expect(codes("macos")).not.toContain("SRT307");
  });
});
