/** The options of the commands that run a command: srt's options end at `--` or the first non-option word. */
import { describe, expect, it } from "vitest";
import type { ArgsDef } from "citty";
import { parseCommandLine, type Command } from "../../src/cli/args.js";
import { execCommand } from "../../src/cli/exec.js";
import type { CliIo } from "../../src/cli/io.js";
import { runModeCommand } from "../../src/cli/run-mode.js";
import { runOptions, type ParsedRun, type RunArgs } from "../../src/cli/run-options.js";

// The factories keep io for their run, which these tests never call.
const io = {} as CliIo;

function parse<T extends ArgsDef>(cmd: Command<T>, words: string[]): ParsedRun & { plan?: string } {
  const line = parseCommandLine(cmd, words);
  if (line.kind !== "ok") return { ok: false, message: line.kind === "help" ? "help" : line.message };
  const args = line.args as RunArgs & { plan?: string };
  return { ...runOptions(args, line.command), ...(args.plan === undefined ? {} : { plan: args.plan }) };
}
const run = (words: string[]) => parse(runModeCommand(io, "usage"), words);
const exec = (words: string[]) => parse(execCommand(io), words);
const ok = (r: ParsedRun & { plan?: string }) => {
  if (!r.ok) throw new Error(r.message);
  return { ...r.options, plan: r.plan };
};

describe("the run mode's options", () => {
  it("stop at the first word that is not an option: the command's own flags stay the command's", () => {
    expect(ok(run(["-d", "ls", "-la", "--settings", "x"]))).toMatchObject({
      debug: true,
      command: ["ls", "-la", "--settings", "x"],
    });
    expect(ok(run(["-d", "ls", "-la", "--settings", "x"])).settings).toBeUndefined();
  });
  it("stop at --, so a command may start with a dash", () => {
    expect(ok(run(["--settings", "p.json", "--", "-weird", "-d"]))).toMatchObject({
      settings: "p.json",
      debug: false,
      command: ["-weird", "-d"],
    });
  });
  it("take --opt=value, the long and short spellings, and -c with a shell string", () => {
    expect(ok(run(["--settings=p.json", "-q", "--violations", "v.jsonl", "-c", "echo hi; exit 3"]))).toMatchObject({
      settings: "p.json",
      quiet: true,
      violations: "v.jsonl",
      script: "echo hi; exit 3",
      command: [],
    });
    expect(ok(run(["--debug", "--quiet", "--control-fd=3", "true"]))).toMatchObject({
      debug: true,
      quiet: true,
      controlFd: 3,
      command: ["true"],
    });
  });
  it("take the reference tool's -s for --settings, and --shell", () => {
    expect(ok(run(["-s", "p.json", "--shell", "sh", "true"]))).toMatchObject({
      settings: "p.json",
      shell: "sh",
      command: ["true"],
    });
    expect(run(["-s", "a.json", "--settings", "b.json", "true"])).toEqual({
      ok: false,
      message: "--settings is given twice",
    });
  });
  it("take --allow-domain, --deny-domain, --allow-write and --deny-read, each repeatable, in order", () => {
    expect(
      ok(
        run([
          "--allow-domain",
          "a.example",
          "--deny-read=~/.ssh",
          "--allow-domain=b.example",
          "--allow-write",
          "--x",
          "--deny-domain",
          "c.example",
          "cmd",
          "--allow-domain",
          "not-ours",
        ]),
      ),
    ).toMatchObject({
      additions: {
        allowDomains: ["a.example", "b.example"],
        denyDomains: ["c.example"],
        allowWrite: ["--x"],
        denyRead: ["~/.ssh"],
      },
      command: ["cmd", "--allow-domain", "not-ours"],
    });
    expect(ok(run(["true"])).additions).toBeUndefined();
  });
  it("take the container options in the run mode; refuse them and the additions in srt exec (a plan's policy is fixed)", () => {
    expect(ok(run(["--docker-image", "node:20", "--docker-name", "n", "--", "true"])).command).toEqual(["true"]);
    expect(exec(["plan.json", "--docker-image", "node:20", "--", "true"])).toEqual({
      ok: false,
      message: expect.stringMatching(/^--docker-image is for the run mode/),
    });
    expect(exec(["plan.json", "--allow-domain", "x.example", "--", "true"])).toEqual({
      ok: false,
      message: expect.stringMatching(/^a plan's policy is fixed when it is compiled; --allow-domain does not apply/),
    });
    expect(exec(["plan.json", "-s", "p.json", "--", "true"])).toMatchObject({ ok: false });
  });
  it("read a value as a value, whatever it looks like; a command's words as the command's", () => {
    // citty by itself would take "--no-debug" for a switch even where it is --settings' value.
    expect(ok(run(["--settings", "--no-debug", "-d", "--", "true"]))).toMatchObject({
      settings: "--no-debug",
      debug: true,
      command: ["true"],
    });
    expect(ok(run(["-c", "--help"]))).toMatchObject({ script: "--help", command: [] });
    expect(ok(run(["-d", "true", "--no-debug", "--help", "--"]))).toMatchObject({
      debug: true,
      command: ["true", "--no-debug", "--help", "--"],
    });
  });
  it("refuse unknown options, a missing value, a bad descriptor, no command, words after -c, and exec's options", () => {
    const cases: [string[], RegExp][] = [
      [["--setings", "x", "--", "true"], /^unknown option --setings; did you mean --settings\?$/],
      [["--settings"], /^--settings needs a value$/],
      [["--settings", "a", "--settings", "b", "true"], /^--settings is given twice$/],
      [["--debug=yes", "true"], /^--debug takes no value$/],
      [["--control-fd", "2", "true"], /descriptor number of 3 or more, not "2"/],
      [["-d"], /^no command given/],
      [[], /^no command given/],
      [["-c", "true", "extra"], /^-c takes one shell string; unexpected "extra" after it$/],
      [
        ["-x", "true"],
        /^unknown option -x; srt's options come before the command: put -- before a command that starts with -$/,
      ],
      [["--proxies", "d", "--", "true"], /^--proxies is for srt exec/],
      [["--allow-writable-plan", "--", "true"], /^--allow-writable-plan is for srt exec/],
    ];
    for (const [words, message] of cases)
      expect(run(words), JSON.stringify(words)).toEqual({ ok: false, message: expect.stringMatching(message) });
  });
});

describe("srt exec's options", () => {
  it("end at the first word after the plan, or at --", () => {
    expect(ok(exec(["plan.json", "-d", "cmd", "-c", "x", "--settings", "y"]))).toMatchObject({
      plan: "plan.json",
      debug: true,
      command: ["cmd", "-c", "x", "--settings", "y"],
    });
    expect(ok(exec(["plan.json", "--allow-writable-plan", "--proxies", "dir", "--", "-d"]))).toMatchObject({
      plan: "plan.json",
      allowWritablePlan: true,
      proxies: "dir",
      debug: false,
      command: ["-d"],
    });
    expect(ok(exec(["-q", "plan.json", "true"]))).toMatchObject({ plan: "plan.json", quiet: true, command: ["true"] });
    expect(ok(exec(["--", "plan.json", "true"]))).toMatchObject({ plan: "plan.json", command: ["true"] });
    expect(ok(exec(["plan.json", "--", "true"])).allowWritablePlan).toBeUndefined();
  });
  it("refuse --settings (the plan holds its policy), an unknown option, and a missing plan", () => {
    expect(exec(["plan.json", "--settings", "s.json", "--", "true"])).toEqual({
      ok: false,
      message: "a plan already contains its policy; --settings does not apply",
    });
    expect(exec(["plan.json", "--allow-writeable-plan", "--", "true"])).toEqual({
      ok: false,
      message: "unknown option --allow-writeable-plan; did you mean --allow-writable-plan?",
    });
    expect(exec([])).toEqual({ ok: false, message: "missing PLAN" });
    expect(exec(["-d"])).toEqual({ ok: false, message: "missing PLAN" });
  });
});
