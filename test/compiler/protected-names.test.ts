/**
 * The one table of protected names: the README's list is the table's own
 * rendering, every rule has a reason that `srt explain` prints, and the macOS
 * names are the table's project and git-directory names.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { mandatoryNames } from "../../src/backends/seatbelt/mandatory-names.js";
import { explainPolicy } from "../../src/cli/explain-text.js";
import { compileSettings, type PathRule } from "../../src/compiler/index.js";
import {
  homeNames,
  mandatoryReasons,
  projectNames,
  protectedTable,
  protectedTableMarkdown,
} from "../../src/compiler/protected-names.js";
import { createFixtureHost } from "../support/fixture-host.js";
import { repoRoot } from "../support/repo.js";

describe("the protected-names table", () => {
  it("is the README's list, word for word", () => {
    const readme = readFileSync(`${repoRoot}README.md`, "utf8");
    const m = /<!-- protected-table:start -->\n([\s\S]*?)<!-- protected-table:end -->/.exec(readme);
    expect(m, "README.md lacks the <!-- protected-table:start/end --> markers").not.toBeNull();
    expect(
      m![1],
      "README.md's list differs from protectedTableMarkdown(); paste the expected text between the markers",
    ).toBe(protectedTableMarkdown());
  });

  it("names each name once, with a reason per rule", () => {
    const all = Object.values(protectedTable).flatMap((r) => r.names.map((n) => `${r.where}:${n}`));
    expect(new Set(all).size).toBe(all.length);
    for (const [rule, why] of Object.entries(mandatoryReasons)) expect(why.length, rule).toBeGreaterThan(20);
  });

  it("gives macOS the project names and the git-directory names, and nothing of home (literal rules carry those)", () => {
    const mac = new Set(Object.values(mandatoryNames).flat());
    for (const n of projectNames) if (n.name !== ".git") expect(mac.has(n.name), n.name).toBe(true);
    for (const n of [".git/hooks", ".git/config", ".git/config.worktree", ".git/commondir"])
      expect(mac.has(n), n).toBe(true);
    for (const n of homeNames) expect(mac.has(n.name), n.name).toBe(false);
  });

  it("explain prints every protected path it found with the reason of its rule", () => {
    const host = createFixtureHost(
      { dirs: ["/h/p/.git/hooks", "/h/p/.claude"], files: ["/h/p/.git/config"] },
      { cwd: "/h/p", home: "/h" },
    );
    const r = compileSettings({ text: undefined, file: "default", host, target: "linux" });
    const text = explainPolicy(r.policy!, "linux", {});
    const mandatory = r.policy!.filesystem.rules.filter(
      (x): x is PathRule => x.kind === "path" && x.origin.startsWith("mandatory:"),
    );
    expect(mandatory.length).toBeGreaterThan(10);
    for (const x of mandatory) {
      expect(text).toContain(JSON.stringify(x.path));
      expect(text).toContain(
        `${x.origin} — ${mandatoryReasons[x.origin.slice("mandatory:".length) as keyof typeof mandatoryReasons]}`,
      );
    }
  });
});
