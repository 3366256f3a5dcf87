/**
 * Every code in the diagnostics catalog is produced somewhere a reviewer can
 * see it: in a fixture's golden diagnostics, or (for the few the CLI raises
 * before the compiler runs: unreadable or oversized files) in a CLI test that
 * asserts it. A new code without a fixture fails here.
 */
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { catalog, diagnostic } from "../../src/compiler/diagnostics.js";
import { normalizePath } from "../../src/compiler/paths.js";
import { repoRoot } from "../support/repo.js";

// The compiler's diagnostics, and the k8s backend's (listed at the top and bottom of k8s.yaml).
const goldenCodes = new Set(
  readdirSync(`${repoRoot}golden`).flatMap((c) =>
    ["diagnostics.txt", "k8s.yaml"].flatMap((f) => {
      try {
        return [...readFileSync(`${repoRoot}golden/${c}/${f}`, "utf8").matchAll(/ (?:error|warning) (SRT\d+):/g)].map(
          (m) => m[1]!,
        );
      } catch {
        return [];
      }
    }),
  ),
);

/** Codes raised by the settings loader (src/cli/settings-source.ts), which fixture hosts do not go through. */
const loaderCodes = ["SRT100", "SRT102"] as const;

describe("diagnostics catalog", () => {
  it.each(Object.keys(catalog).filter((c) => !(loaderCodes as readonly string[]).includes(c)))(
    "%s appears in a fixture's golden diagnostics",
    (code) => {
      expect(goldenCodes.has(code), `no golden/*/diagnostics.txt shows ${code}; add a fixture that produces it`).toBe(
        true,
      );
    },
  );

  it.each(loaderCodes)("%s is asserted by the CLI bad-input tests", (code) => {
    const text = readFileSync(`${repoRoot}test/cli/bad-input.test.ts`, "utf8");
    expect(text).toMatch(new RegExp(`error ${code}:`));
  });

  it("severities in goldens match the catalog", () => {
    for (const c of readdirSync(`${repoRoot}golden`)) {
      let text: string;
      try {
        text = readFileSync(`${repoRoot}golden/${c}/diagnostics.txt`, "utf8");
      } catch {
        continue;
      }
      for (const m of text.matchAll(/ (error|warning) (SRT\d+):/g)) {
        expect(catalog[m[2] as keyof typeof catalog].severity, `${c}: ${m[2]}`).toBe(m[1]);
      }
    }
  });

  it("builds the text and the fixed hint from the code's own arguments", () => {
    expect(diagnostic("SRT304", "/filesystem/allowWrite/0", { path: "/nope" })).toEqual({
      code: "SRT304",
      severity: "warning",
      message: "/nope does not exist, so there is nothing to make writable",
      pointer: "/filesystem/allowWrite/0",
    });
    expect(diagnostic("SRT301", "", { detail: "too many" }).hint).toBe(
      "narrow the glob (a deeper base directory) or list the paths",
    );
    // tsc (part of npm test) fails if a call site passes another code's arguments.
    // @ts-expect-error SRT304 takes a path, not a pattern
    diagnostic("SRT304", "", { pattern: "/x" });
    // @ts-expect-error each variant has its own fields
    diagnostic("SRT300", "", { kind: "mandatory", at: "/a", code: "EACCES", spelled: "/b" });
  });

  it("a path failure says itself whether the glob is at fault (SRT203 or SRT202), not its wording", () => {
    const env = { cwd: "/w", home: "/h" };
    // The name of another user's home mentions "glob"; it is still a path problem.
    expect(normalizePath("~globber/x", false, env)).toMatchObject({ ok: false, glob: false });
    expect(normalizePath("/a/*/../b", false, env)).toMatchObject({ ok: false, glob: true });
    expect(normalizePath("/a/[!b]", false, env)).toMatchObject({ ok: false, glob: true });
  });
});
