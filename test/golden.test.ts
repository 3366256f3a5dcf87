/**
 * Golden files: for every fixture, the IR and the diagnostics (and one file per
 * backend) are compared with `golden/<case>/`. A reviewer reads policy changes
 * as diffs of these files. `npm run golden:accept` rewrites them and deletes
 * the ones no test produces any more; with CI=true a missing or changed golden
 * fails and nothing is written.
 */
import { lstatSync, readdirSync, rmSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { locate, renderHuman } from "../src/cli/render.js";
import { goldenArtifacts } from "./support/golden-artifacts.js";
import { compileFixture, listFixtures, loadFixture, repoRoot } from "./support/fixtures.js";

/** Every golden file a test below compares with, relative to golden/ (filled in while the tests are collected). */
const produced = new Set<string>();
const golden = (name: string, file: string): string => {
  produced.add(`${name}/${file}`);
  return `${repoRoot}golden/${name}/${file}`;
};

describe.each(listFixtures())("fixture %s", (name) => {
  const c = loadFixture(name);
  const result = compileFixture(c);
  const header = (what: string): string =>
    `# golden for fixtures/${name} — ${what} (${c.target})\n# ${c.description}\n`;

  it("diagnostics", async () => {
    const located = locate(result.diagnostics, { file: c.settingsPath, text: c.text });
    const body =
      located.length === 0 ? "(none)\n" : renderHuman(located, { file: c.settingsPath, text: c.text }, false) + "\n";
    await expect(header("diagnostics") + body).toMatchFileSnapshot(golden(name, "diagnostics.txt"));
  });

  it("IR", async () => {
    const body =
      result.policy === undefined
        ? "(no policy: the settings have errors)\n"
        : JSON.stringify(result.policy, null, 2) + "\n";
    await expect(header("IR") + body).toMatchFileSnapshot(golden(name, "ir.txt"));
  });

  // Settings with errors lower to nothing, so such a fixture has no backend
  // goldens and no test that would compare nothing; the check below fails on
  // any artifact golden left from when it had a policy.
  const policy = result.policy;
  if (policy === undefined) return;
  for (const artifact of goldenArtifacts) {
    it(artifact.file, async () => {
      await expect(header(artifact.what) + artifact.render(policy)).toMatchFileSnapshot(golden(name, artifact.file));
    });
  }
});

/** Files below dir, relative to it, sorted. */
const filesBelow = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => !lstatSync(`${dir}/${f}`).isDirectory())
    .sort();

// Runs after every fixture's tests (one file runs in order), so goldens written
// by this run are already on disk.
describe("golden/ and fixtures/", () => {
  it("golden/ holds exactly the files the fixtures produce: none stale, none missing", () => {
    const dir = `${repoRoot}golden`;
    const stale = filesBelow(dir).filter((f) => !produced.has(f));
    // Like TypeScript's obsolete baselines: accepting drops what no test produces.
    if (process.env["SRT_GOLDEN_ACCEPT"] === "1") {
      for (const f of stale) rmSync(`${dir}/${f}`);
      for (const d of readdirSync(dir))
        if (readdirSync(`${dir}/${d}`).length === 0) rmSync(`${dir}/${d}`, { recursive: true });
    } else expect(stale, "goldens no test produces (npm run golden:accept deletes them)").toEqual([]);
    const onDisk = new Set(filesBelow(dir));
    expect(
      [...produced].filter((f) => !onDisk.has(f)),
      "goldens the tests produce but nobody accepted",
    ).toEqual([]);
  });

  it("every folder in fixtures/ is a fixture (has case.json)", () => {
    const fixtures = new Set(listFixtures());
    expect(readdirSync(`${repoRoot}fixtures`).filter((n) => !fixtures.has(n))).toEqual([]);
  });
});
