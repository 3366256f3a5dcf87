/**
 * docs/library.md never rots: every ```ts block is type-stripped (esbuild)
 * and run as its own ES module against the built package (a temp project
 * whose node_modules/srt-sandbox links to this checkout), with a loopback
 * server in SRT_DOC_PORT. A block passes when it exits 0 and no
 * console.assert failed.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { transform } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lacking } from "../support/requirements.js";
import { repoRoot } from "../support/repo.js";
import { startWeb, skipReason, supported, type Web } from "./support.js";

const doc = readFileSync(join(repoRoot, "docs/library.md"), "utf8");
const blocks = [...doc.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);

describe.skipIf(lacking(!supported, skipReason))("docs/library.md examples", () => {
  let project: string;
  let web: Web;
  beforeAll(async () => {
    project = mkdtempSync(join(tmpdir(), "srtdoc-"));
    mkdirSync(join(project, "node_modules"));
    symlinkSync(repoRoot, join(project, "node_modules", "srt-sandbox"));
    writeFileSync(join(project, "package.json"), '{"type":"module"}');
    web = await startWeb("hello");
  });
  afterAll(async () => {
    await web.close();
    rmSync(project, { recursive: true, force: true });
  });

  it("has examples", () => {
    expect(blocks.length).toBeGreaterThanOrEqual(5);
  });

  it.each(blocks.map((b, i) => [i + 1, b] as const))("example %i runs", async (i, code) => {
    const js = await transform(code, { loader: "ts", format: "esm", target: "node20" });
    const file = join(project, `example-${i}.mjs`);
    writeFileSync(file, js.code);
    const r = await new Promise<{ status: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [file], {
        cwd: project,
        env: { ...process.env, SRT_DOC_PORT: String(web.port) },
        stdio: ["ignore", "ignore", "pipe"],
      });
      let stderr = "";
      child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
      const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
      child.on("close", (status) => (clearTimeout(timer), resolve({ status, stderr })));
    });
    expect(r.stderr).not.toMatch(/Assertion failed/);
    expect(r.status, r.stderr).toBe(0);
  });
});
