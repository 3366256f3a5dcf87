/** The run mode's option parser: srt's options end at `--` or the first non-option word. */
import { describe, expect, it } from "vitest";
import { parseRunArgs } from "../../src/cli/run-options.js";

const ok = (argv: string[]) => {
  const r = parseRunArgs(argv);
  if (!r.ok) throw new Error(r.message);
  return r.options;
};

describe("parseRunArgs", () => {
  it("stops at the first word that is not an option: the command's own flags stay the command's", () => {
    expect(ok(["-d", "ls", "-la", "--settings", "x"])).toMatchObject({ debug: true, command: ["ls", "-la", "--settings", "x"] });
  });
  it("stops at --, so a command may start with a dash", () => {
    expect(ok(["--settings", "p.json", "--", "-weird", "-d"])).toMatchObject({ settings: "p.json", debug: false, command: ["-weird", "-d"] });
  });
  it("takes --opt=value and -c with a shell string", () => {
    expect(ok(["--settings=p.json", "-q", "--violations", "v.jsonl", "-c", "echo hi; exit 3"])).toMatchObject({
      settings: "p.json",
      quiet: true,
      violations: "v.jsonl",
      command: ["/bin/sh", "-c", "echo hi; exit 3"],
    });
  });
  it("takes --allow-writable-plan (srt exec refuses a plan its command could rewrite without it)", () => {
    expect(ok(["--allow-writable-plan", "--", "true"])).toMatchObject({ allowWritablePlan: true, command: ["true"] });
    expect(ok(["--", "true"]).allowWritablePlan).toBeUndefined();
  });
  it("refuses unknown options, a missing value, no command, and words after -c", () => {
    for (const argv of [["--setings", "x", "--", "true"], ["--settings"], ["-d"], ["-c", "true", "extra"], []]) {
      expect(parseRunArgs(argv).ok, JSON.stringify(argv)).toBe(false);
    }
  });
});

describe("subcommand --help", () => {
  it("has no terminal escapes when output is not a terminal", async () => {
    const { runSrt } = await import("../support/cli.js");
    const r = runSrt(["check", "--help"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("USAGE");
    expect(r.stdout).not.toMatch(/\x1b\[/);
  });
});
