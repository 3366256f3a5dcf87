/** `srt explain` says what the target's backend gives up, cannot apply, and sets for the proxies. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runSrt } from "../support/cli.js";

const dir = mkdtempSync(join(tmpdir(), "srt-explain-"));
// The working directory is a project below home: run from home itself, the default policy is refused (SRT320).
const project = join(dir, "proj");
mkdirSync(project);
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const explain = (settings: object, target = "linux"): string => {
  const f = join(dir, `${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(f, JSON.stringify(settings));
  const r = runSrt(["explain", "--target", target, f], { cwd: project, env: { HOME: dir } });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
};

describe("srt explain, target-specific part", () => {
  it("lists what enableWeakerNestedSandbox gives up", () => {
    const out = explain({ enableWeakerNestedSandbox: true });
    expect(out).toContain("enableWeakerNestedSandbox gives up");
    expect(out).toMatch(/no new PID namespace/);
  });
  it("lists rules the Linux backend cannot apply", () => {
    expect(explain({ filesystem: { allowWrite: [join(dir, "not-there")] } })).toMatch(
      /not applied:\n.*not-there.*nothing to make writable/,
    );
  });
  it("names the proxy variables only when something is reachable, leaving allowed loopback hosts out of NO_PROXY", () => {
    expect(explain({})).toContain("No proxies are started");
    const out = explain({ network: { allowedDomains: ["127.0.0.1:8080"] } });
    expect(out).toContain("HTTP_PROXY=http://127.0.0.1:3128");
    expect(out).toContain("NO_PROXY=localhost,::1");
  });
  it.skipIf(process.platform !== "linux")(
    "names the host programs a run starts (never from PATH), and says when this policy's command could change one",
    () => {
      const out = explain({});
      expect(out).toMatch(
        /Host programs srt starts outside the sandbox \(from root-owned system directories, never from PATH\):\n\s+bwrap: \/\S+/,
      );
      expect(out).not.toContain("a run of this policy is refused");
      expect(explain({ filesystem: { allowWrite: ["/usr/local/sbin"] } })).toContain(
        "✗ a run of this policy is refused: /usr/local/sbin (where srt looks for host programs)",
      );
    },
  );
  it("says where the policy means something else on the other platform", () => {
    expect(explain({ filesystem: { denyRead: [join(dir, "later")] } })).toMatch(
      /Where this policy means something else on macOS:\n(.*\n)*.*later/,
    );
    expect(explain({}, "macos")).toContain("Where this policy means something else on Linux:");
  });
});
