/** The purity rule (eslint.purity.js) must actually catch I/O in pure stages, multi-line imports included. */
import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../support/repo.js";
import { pureFiles, purityRules } from "../../eslint.purity.js";

const eslint = new ESLint({
  cwd: repoRoot,
  overrideConfigFile: true,
  overrideConfig: [
    { files: ["**/*.ts"], languageOptions: { parser: (await import("typescript-eslint")).parser } },
    { files: pureFiles, rules: purityRules },
  ],
});
const messages = async (file: string, text: string): Promise<string[]> =>
  (await eslint.lintText(text, { filePath: `${repoRoot}${file}` })).flatMap((r) => r.messages.map((m) => m.message));

describe("the purity rule", () => {
  it.each([
    ['import { readFileSync } from "node:fs";', "pure stages get the machine through the Host"],
    ['import {\n  execFile,\n} from "child_process";', "pure stages get the machine through the Host"],
    ['import { x } from "node:sqlite";', "pure stages import no Node module"],
    ["const home = process.env.HOME;", "pure stages get the machine through the Host"],
    ['const os = await import("node:os");', "pure stages import nothing dynamically"],
    ["const t = Date.now();", "pure stages take time from the Host"],
    ["const r = Math.random();", "pure stages are deterministic"],
    ["const t = performance.now();", "pure stages get the machine through the Host"],
  ])("rejects %s", async (line, why) => {
    const found = await messages("src/backends/x/y.ts", `${line}\nexport {};\n`);
    expect(
      found.some((m) => m.includes(why)),
      found.join("\n"),
    ).toBe(true);
  });
  it("accepts pure code, and I/O outside the pure folders", async () => {
    expect(await messages("src/compiler/a.ts", "export const a = (host: { now(): number }) => host.now();\n")).toEqual(
      [],
    );
    expect(await messages("src/runtime/b.ts", 'import "node:fs";\n')).toEqual([]);
  });
});
