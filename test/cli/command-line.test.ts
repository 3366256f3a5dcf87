/**
 * Every command reads its command line the same way (src/cli/args.ts), through the built CLI:
 * an unknown option is a usage error with a did-you-mean, and what follows the command to run
 * is never read as one of srt's options (DESIGN §6).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { commandNames } from "../../src/cli/main.js";
import { skipReason, supported } from "../linux/support.js";
import { runSrt } from "../support/cli.js";
import { lacking } from "../support/requirements.js";
import { tempDir } from "../support/temp.js";

const home = tempDir("srt-home-");
const env = { HOME: home, TMPDIR: tempDir("srt-tmp-") };

/** Per command: words with a misspelt option, the misspelling, and what srt should suggest. "" is the run mode. */
const misspelt: Record<string, [words: string[], typo: string, suggestion: string]> = {
  "": [["--setings", "p.json", "--", "true"], "--setings", "--settings"],
  check: [["--setings", "p.json"], "--setings", "--settings"],
  explain: [["--jsno"], "--jsno", "--json"],
  compile: [["--target", "linux", "--emitt", "ir"], "--emitt", "--emit"],
  exec: [["plan.json", "--contol-fd", "3", "--", "true"], "--contol-fd", "--control-fd"],
  doctor: [["--jsn"], "--jsn", "--json"],
  schema: [["--hepl"], "--hepl", "--help"],
  init: [["--allow-registry"], "--allow-registry", "--allow-registries"],
  proxy: [["--listen", "127.0.0.1:0", "--sock", "127.0.0.1:0"], "--sock", "--socks"],
};

describe("unknown options", () => {
  it("the table covers every command", () => {
    expect(Object.keys(misspelt).sort()).toEqual(["", ...commandNames].sort());
  });

  it.each(Object.entries(misspelt))(
    "srt %s: exit 2 with a did-you-mean, and nothing done",
    (name, [words, typo, suggestion]) => {
      const r = runSrt(name === "" ? words : [name, ...words], { env, cwd: home });
      expect(r.stderr).toBe(
        `srt${name === "" ? "" : ` ${name}`}: unknown option ${typo}; did you mean ${suggestion}? (see srt${name === "" ? "" : ` ${name}`} --help)\n`,
      );
      expect(r.stdout).toBe("");
      expect(r.status).toBe(2);
      expect(existsSync(join(home, "srt-settings.json"))).toBe(false);
    },
  );

  it("one letter gets no guess, a case slip does", () => {
    expect(runSrt(["compile", "-x"], { env }).stderr).toBe("srt compile: unknown option -x (see srt compile --help)\n");
    expect(runSrt(["compile", "-O", "f"], { env }).stderr).toBe(
      "srt compile: unknown option -O; did you mean -o? (see srt compile --help)\n",
    );
  });
});

describe("the same strictness everywhere", () => {
  it.each([
    [["check", "--settings"], "srt check: --settings needs a value"],
    [["compile", "--target", "linux", "examples/agent.json", "-o"], "srt compile: -o needs a value"],
    [["check", "a.json", "b.json"], 'srt check: unexpected argument "b.json"'],
    [["schema", "extra"], 'srt schema: unexpected argument "extra"'],
    [["init", "--allow-registries=no"], "srt init: --allow-registries takes no value"],
    [["explain", "--target", "linux", "--target", "macos"], "srt explain: --target is given twice"],
    [["exec"], "srt exec: missing PLAN"],
  ])("srt %j: a usage error", (words, message) => {
    const r = runSrt(words, { env, cwd: home });
    expect(r.stderr).toContain(message);
    expect(r.status).toBe(2);
  });

  it.each(["", ...commandNames])(
    "srt %s --help: exit 0, without terminal escapes when output is not a terminal",
    (name) => {
      const r = runSrt(name === "" ? ["-d", "--help"] : [name, "--help"], { env });
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(name === "" ? /^srt \d+\.\d+\.\d+: run commands/ : new RegExp(`USAGE srt ${name} `));
      expect(r.stdout).not.toMatch(/\x1b\[/);
    },
  );
});

describe.skipIf(lacking(!supported, skipReason))("srt's options end where the command starts (a real run)", () => {
  const work = tempDir("srt-work-");
  // printf prints each of its arguments in brackets: what reached the command, word by word.
  it.each([
    [["--", "printf", "[%s]", "--settings", "x"], "[--settings][x]"],
    [["printf", "[%s]", "-c", "x"], "[-c][x]"],
    [["-q", "printf", "[%s]", "-d", "--help", "--", "--no-quiet"], "[-d][--help][--][--no-quiet]"],
  ])("srt %j", (words, printed) => {
    const r = runSrt(words, { env, cwd: work });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(printed);
    expect(r.status).toBe(0);
  });
});
