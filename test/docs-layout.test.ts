/**
 * The README's "Layout" list and docs/architecture.md name folders and files
 * a reader will look for; a rename or a new folder that the docs do not
 * follow sends the next person (or the next backend) to the wrong place.
 * These checks read the checkout only: the README, the architecture page,
 * the directories under src/, and git's list of tracked files for the
 * top-level folders (dist/ and node_modules/ exist locally but are not the
 * project's layout).
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "./support/repo.js";

const read = (rel: string): string => readFileSync(join(repoRoot, rel), "utf8");

/** The "Layout" paragraph and list of the README's Development section, up to the next section. */
function layoutSection(readme: string): string {
  const lines = readme.split("\n");
  const dev = lines.findIndex((l) => l.trim() === "## Development");
  if (dev < 0) throw new Error("README has no `## Development` section");
  const start = lines.findIndex((l, i) => i > dev && l.startsWith("Layout"));
  if (start < 0) throw new Error("README's Development section has no paragraph starting with `Layout`");
  const next = lines.findIndex((l, i) => i > start && /^#{1,2} /.test(l));
  return lines.slice(start, next < 0 ? lines.length : next).join("\n");
}

/** The folder each list item names: its first code span, without the trailing slash. */
function listedFolders(section: string): string[] {
  return section
    .split("\n")
    .map((l) => /^\s*- `([^`]+)`/.exec(l)?.[1])
    .filter((f): f is string => f !== undefined)
    .map((f) => f.replace(/\/$/, ""));
}

/** Every code span in the text that looks like a path in the repository (`src/x.ts`, `test/linux`). */
function pathSpans(text: string): string[] {
  return [...text.matchAll(/`([^`\s]+)`/g)]
    .map((m) => m[1]!)
    .filter((s) => /^\.?[\w-]+(\/[\w.-]+)*\/?$/.test(s) && s.includes("/"));
}

/** Every `src/…` path mentioned anywhere in the text (trailing punctuation dropped). */
function srcMentions(text: string): string[] {
  const found = [...text.matchAll(/(?<![\w/.$-])src\/[\w./-]*/g)].map((m) => m[0].replace(/[.,:;)]+$/, ""));
  return [...new Set(found)];
}

function srcFolders(dir = "src"): string[] {
  return readdirSync(join(repoRoot, dir), { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .flatMap((e) => [`${dir}/${e.name}`, ...srcFolders(`${dir}/${e.name}`)]);
}

function trackedTopLevelFolders(): string[] {
  const listing = execFileSync("git", ["ls-files", "-z"], { cwd: repoRoot, encoding: "utf8" });
  const files = listing.split("\0").filter(Boolean);
  return [...new Set(files.filter((f) => f.includes("/")).map((f) => f.slice(0, f.indexOf("/"))))];
}

const exists = (rel: string): boolean => existsSync(join(repoRoot, rel));
const isDir = (rel: string): boolean => exists(rel) && statSync(join(repoRoot, rel)).isDirectory();

describe("README layout", () => {
  const section = layoutSection(read("README.md"));
  const listed = listedFolders(section);

  it("lists every tracked top-level folder and every folder under src/", () => {
    const expected = [...trackedTopLevelFolders(), ...srcFolders()].sort();
    expect(expected).toContain("src/compiler");
    expect(expected.filter((f) => !listed.includes(f))).toEqual([]);
  });

  it("lists only folders that exist, each once", () => {
    expect(listed.length).toBeGreaterThan(0);
    expect(listed.filter((f) => !isDir(f))).toEqual([]);
    expect(listed.filter((f, i) => listed.indexOf(f) !== i)).toEqual([]);
  });

  it("names only paths that exist and links docs/architecture.md", () => {
    expect(pathSpans(section).filter((p) => !exists(p.replace(/\/$/, "")))).toEqual([]);
    expect(section).toContain("(docs/architecture.md)");
  });
});

describe("docs/architecture.md", () => {
  const text = read("docs/architecture.md");

  it("names only src/ paths that exist", () => {
    const mentioned = srcMentions(text);
    expect(mentioned.length).toBeGreaterThan(20);
    expect(mentioned.filter((p) => !exists(p))).toEqual([]);
  });
});

describe("the parsers the checks rest on", () => {
  const readme = [
    "# x",
    "## Development",
    "text",
    "Layout (see):",
    "",
    "- `a/`: one",
    "  - `a/b/`: two, with `a/b/c.ts`",
    "- `d`: three",
    "## Next",
    "- `z/`: not here",
  ].join("\n");

  it("reads the list items of the Layout paragraph only", () => {
    expect(listedFolders(layoutSection(readme))).toEqual(["a", "a/b", "d"]);
    expect(pathSpans(layoutSection(readme))).toEqual(["a/", "a/b/", "a/b/c.ts"]);
  });

  it("finds src/ paths in prose, code spans and tables, not inside other paths", () => {
    const text = "`src/a.ts`, then src/b/c.ts. | src/d/ | dist/src/x.ts $SRT/src/y";
    expect(srcMentions(text)).toEqual(["src/a.ts", "src/b/c.ts", "src/d/"]);
  });
});
