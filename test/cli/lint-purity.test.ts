/** The purity lint must actually catch I/O in pure stages. */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";

import { join } from "node:path";
import { tempDir } from "../support/temp.js";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../support/repo.js";

const lint = (files: Record<string, string>) => {
  const root = tempDir("srt-lint-");
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(root, p, ".."), { recursive: true });
    writeFileSync(join(root, p), text);
  }
  return spawnSync(process.execPath, [`${repoRoot}scripts/lint-purity.mjs`, "--root", root], { encoding: "utf8" });
};

describe("lint-purity", () => {
  it.each([
    ['import { readFileSync } from "node:fs";', "imports a Node I/O module"],
    ['import { execFile } from "child_process";', "imports a Node I/O module"],
    ["const home = process.env.HOME;", "reads process.*"],
    ['const os = await import("node:os");', "dynamically imports a node: module"],
  ])("rejects %s", (line, why) => {
    const r = lint({ "src/backends/x/y.ts": `${line}\n` });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(why);
  });
  it("accepts pure code and I/O outside the pure folders", () => {
    const r = lint({ "src/compiler/a.ts": "export const a = (host: { now(): number }) => host.now();\n", "src/runtime/b.ts": 'import "node:fs";\n' });
    expect(r.status).toBe(0);
  });
});
