/**
 * The git config reader against git itself: for hand-picked and generated
 * texts, parseGitConfig accepts exactly what `git config --list` accepts and
 * reads the same keys and values. A divergence would let a hooks path hide
 * from srt in a file git reads differently.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { interpolateGitPath, isIncludeKey, parseGitConfig } from "../../src/compiler/git-config.js";

const gitAvailable = spawnSync("git", ["--version"]).status === 0;
const dir = mkdtempSync(join(tmpdir(), "srt-gitcfg-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
/** What git reads from text: undefined when git rejects it. */
function gitReads(text: string): { key: string; value: string | undefined }[] | undefined {
  const file = join(dir, `c${n++}`);
  writeFileSync(file, text);
  const r = spawnSync("git", ["config", "--file", file, "--no-includes", "--null", "--list"], {
    encoding: "utf8",
    env: { PATH: process.env["PATH"], HOME: dir, GIT_CONFIG_NOSYSTEM: "1" },
  });
  if (r.status !== 0) return undefined;
  return r.stdout
    .split("\0")
    .slice(0, -1)
    .map((rec) => {
      const nl = rec.indexOf("\n");
      return nl === -1 ? { key: rec, value: undefined } : { key: rec.slice(0, nl), value: rec.slice(nl + 1) };
    });
}

function ours(text: string): { key: string; value: string | undefined }[] | undefined {
  const r = parseGitConfig(text);
  return r.ok ? r.entries.map((e) => ({ key: e.key, value: e.value })) : undefined;
}

const samples = [
  "",
  "[core]\n\thooksPath = .githooks\n",
  "[core] hooksPath = same-line\n",
  '[core]\n\thooksPath = "  quoted  with ; and # inside "  # comment\n',
  "[core]\n\thooksPath = a\\\n  continued\n",
  '[core]\n\thooksPath = tab\\there \\"q\\" back\\\\slash\\n\n',
  "[core]\n\thooksPath = bad\\escape\n",
  '[core]\n\thooksPath = "unterminated\n',
  "[CoRe]\n\tHOOKSPATH = upper\n",
  '[includeIf "gitdir:~/work/"]\n\tpath = ~/.gitconfig-work\n',
  '[include]\n\tpath = a.inc\n[includeIf "onbranch:Main"]\n  path = b.inc\n',
  '[section "sub \\"quoted\\" \\\\ x"]\n\tkey = v\n',
  "[section.Legacy]\n\tkey = v\n",
  "[core]\n\tbare\n\tbare = false\n",
  "[core]\n\tkey # comment after a bare key\n",
  "\uFEFF[core]\n\thooksPath = after-bom\n",
  "[core]\r\n\thooksPath = crlf\r\n",
  "[core]\n\thooksPath = lone\rcr\n",
  "[core]\n\thooksPath =    \n",
  "[core]\n\thooksPath = a   b\t\tc   \n",
  "key = before any section\n",
  "[]\n",
  '[core "]\n',
  "[core\n",
  "[co re]\n",
  "[core]\n\t1key = v\n",
  "[core]\n\tkey-with-dash = v\n\tkey_underscore = v\n",
  "; comment\n# comment\n[core] ; comment\n\thooksPath=x;y\n",
  "[core]\n\thooksPath = no newline at end",
  "[core]\n\thooksPath = a\\",
  '[core]\n\thooksPath = "a\\\nb"\n',
  '[a "b"]x = 1\n',
  '[a "b" ]\n',
  "[a]\n\tk = \u00e9t\u00e9\n\tk\u00e9 = v\n",
  "[core]\n\thooksPath = v\v\n",
];

describe.skipIf(!gitAvailable)("git config reader agrees with git", () => {
  it.each(samples.map((s) => [JSON.stringify(s), s]))("%s", (_, text) => {
    expect(ours(text)).toEqual(gitReads(text));
  });

  it("generated texts", () => {
    const piece = fc.constantFrom(
      "[",
      "]",
      '"',
      "\\",
      "\n",
      "\r\n",
      "\r",
      " ",
      "\t",
      "=",
      "#",
      ";",
      ".",
      "-",
      "a",
      "B",
      "1",
      "core",
      "hooksPath",
      "include",
      "path",
      "sub",
      "é",
      "n",
      "t",
      "\v",
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }), (parts) => {
        const text = parts.join("");
        expect(ours(text)).toEqual(gitReads(text));
      }),
      { numRuns: 300 },
    );
  });

  it("generated texts that are mostly valid", () => {
    const name = fc.constantFrom("core", "include", "includeIf", "Core", "x-y");
    const sub = fc.option(fc.constantFrom('"gitdir:~/a/"', '"s p"', '"q\\"x"', '"back\\\\"'), { nil: undefined });
    const key = fc.constantFrom("hooksPath", "path", "bare", "worktree", "k1");
    const val = fc.option(
      fc.constantFrom(" = v", "=v", ' = "a b"', " = a\\\n b", " = x # c", ' = "#;"', "", " = \\t", " = ~/p"),
      { nil: undefined },
    );
    const line = fc.oneof(
      fc.tuple(name, sub).map(([s, b]) => `[${s}${b === undefined ? "" : " " + b}]\n`),
      fc.tuple(key, val).map(([k, v]) => `\t${k}${v ?? ""}\n`),
      fc.constant("# comment\n"),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), (lines) => {
        const text = lines.join("");
        expect(ours(text)).toEqual(gitReads(text));
      }),
      { numRuns: 300 },
    );
  });
});

describe("git config helpers", () => {
  it("include keys: include.path and includeIf.<anything>.path, nothing else", () => {
    expect(["include.path", "includeif.gitdir:~/w/.path", "includeif.onbranch:x.path"].every(isIncludeKey)).toBe(true);
    expect(["include.x.path", "core.hookspath", "include.paths"].some(isIncludeKey)).toBe(false);
  });

  it("paths: ~ and ~/ become home; ~user and %(prefix) cannot be resolved here", () => {
    expect(interpolateGitPath("~", "/h")).toEqual({ ok: true, path: "/h" });
    expect(interpolateGitPath("~/x/y", "/h")).toEqual({ ok: true, path: "/h/x/y" });
    expect(interpolateGitPath("rel/~x", "/h")).toEqual({ ok: true, path: "rel/~x" });
    expect(interpolateGitPath("~bob/x", "/h")).toEqual({ ok: false });
    expect(interpolateGitPath("%(prefix)/share", "/h")).toEqual({ ok: false });
  });
});
