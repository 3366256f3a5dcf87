/**
 * Golden files: for every fixture, the IR and the diagnostics (and one file per
 * backend) are compared with `golden/<case>/`. A reviewer reads policy changes
 * as diffs of these files. `npm run golden:accept` rewrites them; with CI=true
 * a missing or changed golden fails and nothing is written.
 */
import { describe, expect, it } from "vitest";
import { locate, renderHuman } from "../src/cli/render.js";
import { goldenArtifacts } from "./support/golden-artifacts.js";
import { compileFixture, listFixtures, loadFixture, repoRoot } from "./support/fixtures.js";

describe.each(listFixtures())("fixture %s", (name) => {
  const c = loadFixture(name);
  const result = compileFixture(c);
  const header = (what: string): string => `# golden for fixtures/${name} — ${what} (${c.target})\n# ${c.description}\n`;

  it("diagnostics", async () => {
    const located = locate(result.diagnostics, { file: c.settingsPath, text: c.text });
    const body = located.length === 0 ? "(none)\n" : renderHuman(located, { file: c.settingsPath, text: c.text }, false) + "\n";
    await expect(header("diagnostics") + body).toMatchFileSnapshot(`${repoRoot}golden/${name}/diagnostics.txt`);
  });

  it("IR", async () => {
    const body = result.policy === undefined ? "(no policy: the settings have errors)\n" : JSON.stringify(result.policy, null, 2) + "\n";
    await expect(header("IR") + body).toMatchFileSnapshot(`${repoRoot}golden/${name}/ir.txt`);
  });

  for (const artifact of goldenArtifacts) {
    it(artifact.file, async () => {
      if (result.policy === undefined) return;
      await expect(header(artifact.what) + artifact.render(result.policy, c)).toMatchFileSnapshot(`${repoRoot}golden/${name}/${artifact.file}`);
    });
  }
});
