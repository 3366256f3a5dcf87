/**
 * Every shell command block of the README, checked and, where that is safe, run.
 *
 * Each line is split into its commands (`&&`, a trailing `# comment` dropped) and each command
 * must be one a reader can type here:
 * - `srt …` / `npx srt …`: srt's own parser accepts the words (the same code the CLI runs), and
 *   every settings file or plan it names exists in the checkout or is written by an earlier line
 *   of the same block (`compile -o plan.json`);
 * - `npm install`, `npm test`, `npm run X`: package.json has them;
 * - `CI=true bash .ci/run`: the file exists;
 * - anything else fails the test, so a new block cannot slip in unchecked.
 *
 * What runs for real, with the built CLI: the set-up block's sandboxed example (when this machine
 * can sandbox; `srt doctor --fix` before it is test/runtime/install.test.ts's and
 * test/linux/doctor-fix.test.ts's, since it installs system packages), and every srt line that
 * only reads (check, explain, compile — its -o redirected to a scratch directory — and doctor).
 * Not run: `npm install` and `npm test` (this is npm test), `npm run …` (they rewrite the checkout or
 * take minutes), the run-mode and exec lines whose command is a placeholder (`cmd`, `make test`).
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readCommandLine, type Command } from "../src/cli/args.js";
import { checkCommand } from "../src/cli/check.js";
import { compileCommand } from "../src/cli/compile.js";
import { doctorCommand } from "../src/cli/doctor.js";
import { execCommand } from "../src/cli/exec.js";
import { explainCommand } from "../src/cli/explain.js";
import { initCommand } from "../src/cli/init.js";
import { proxyCommand } from "../src/cli/proxy.js";
import type { CliIo } from "../src/cli/io.js";
import { commandNames } from "../src/cli/main.js";
import { runModeCommand } from "../src/cli/run-mode.js";
import { schemaCommand } from "../src/cli/schema.js";
import { skipReason, supported } from "./linux/support.js";
import { repoRoot } from "./support/repo.js";
import { tempDir } from "./support/temp.js";

const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { scripts: Record<string, string> };
const srtBin = join(repoRoot, "dist/srt.cjs");

// The factories keep io for their run, which parsing never calls.
const io = {} as CliIo;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const commands: Record<string, Command<any>> = {
  check: checkCommand(io),
  explain: explainCommand(io),
  compile: compileCommand(io),
  exec: execCommand(io),
  doctor: doctorCommand(io),
  schema: schemaCommand(io),
  init: initCommand(io),
  proxy: proxyCommand(io),
};

/** The `sh` blocks: their lines, with the line number in the README. */
function shellBlocks(text: string): { line: number; text: string }[][] {
  const blocks: { line: number; text: string }[][] = [];
  let current: { line: number; text: string }[] | undefined;
  text.split("\n").forEach((l, i) => {
    if (current === undefined && /^```(sh|bash|shell)\s*$/.test(l)) current = [];
    else if (current !== undefined && l.startsWith("```")) {
      blocks.push(current);
      current = undefined;
    } else current?.push({ line: i + 1, text: l });
  });
  return blocks;
}

/** Shell words of one line, up to a `#` that starts a word; `&&` separates commands. */
function commandsOf(line: string): string[][] {
  const out: string[][] = [[]];
  let word: string | undefined;
  let quote: "'" | '"' | undefined;
  const end = (): void => {
    if (word !== undefined) out[out.length - 1]!.push(word);
    word = undefined;
  };
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
      else if (c === "\\" && quote === '"' && i + 1 < line.length) word = (word ?? "") + line[++i];
      else word = (word ?? "") + c;
    } else if (c === "'" || c === '"') {
      quote = c;
      word ??= "";
    } else if (/\s/.test(c)) end();
    else if (c === "#" && word === undefined) break;
    else if (c === "&" && line[i + 1] === "&") {
      end();
      out.push([]);
      i++;
    } else word = (word ?? "") + c;
  }
  if (quote !== undefined) throw new Error(`unterminated quote in: ${line}`);
  end();
  return out.filter((c) => c.length > 0);
}

interface SrtLine {
  readonly words: readonly string[];
  readonly sub: string | undefined;
  readonly command: readonly string[];
  readonly where: string;
}

/** Checks one command; returns it when it is srt's, for the runs below. */
function check(words: readonly string[], where: string, produced: Set<string>): SrtLine | undefined {
  const [first, ...rest] = words;
  if (first === "npm") {
    if (rest[0] === "install" || rest[0] === "test") return undefined;
    expect(rest[0], `${where}: npm ${rest.join(" ")}`).toBe("run");
    expect(Object.keys(pkg.scripts), `${where}: npm run ${rest[1]}`).toContain(rest[1]);
    return undefined;
  }
  if (first === "CI=true" && rest[0] === "bash") {
    expect(existsSync(join(repoRoot, rest[1]!)), `${where}: ${rest[1]}`).toBe(true);
    return undefined;
  }
  const srtWords = first === "npx" && rest[0] === "srt" ? rest.slice(1) : first === "srt" ? rest : undefined;
  if (srtWords === undefined) throw new Error(`${where}: a command the README test does not know: ${words.join(" ")}`);
  const sub = commandNames.includes(srtWords[0] ?? "") ? srtWords[0] : undefined;
  const cmd = sub === undefined ? runModeCommand(io, "usage") : commands[sub]!;
  const line = readCommandLine(sub === undefined ? srtWords : srtWords.slice(1), cmd);
  if (line.kind === "error") throw new Error(`${where}: srt ${srtWords.join(" ")}: ${line.message}`);
  expect(line.kind, `${where}: srt ${srtWords.join(" ")} is --help`).toBe("ok");
  if (line.kind !== "ok") return undefined;
  // Files it reads: settings, plans. Outputs (-o, --violations) are produced, not read.
  const own = srtWords.slice(0, srtWords.length - line.command.length);
  own.forEach((w, i) => {
    const prev = own[i - 1];
    if (prev === "-o" || prev === "--violations") produced.add(w);
    else if (/\.json$/.test(w) && !w.startsWith("-"))
      expect(produced.has(w) || existsSync(join(repoRoot, w)), `${where}: ${w} does not exist`).toBe(true);
  });
  return { words: srtWords, sub, command: line.command, where };
}

const blocks = shellBlocks(readme);
const checked = blocks.map((b) => {
  const produced = new Set<string>();
  return b.flatMap(({ line, text }) =>
    commandsOf(text).flatMap((words) => {
      const found = check(words, `README.md:${line}`, produced);
      return found === undefined ? [] : [found];
    }),
  );
});

describe("the README's command blocks", () => {
  it("exist: set-up, using it, development", () => {
    expect(blocks.length).toBeGreaterThanOrEqual(3);
  });

  it("every srt subcommand the CLI has is one the check knows", () => {
    expect(Object.keys(commands).sort()).toEqual([...commandNames].sort());
  });

  it("the set-up is one line: npm install, srt doctor --fix, then the example", () => {
    const setup = checked[0]!;
    expect(setup.map((l) => l.words[0])).toEqual(["doctor", "--settings"]);
    expect(setup[0]!.words).toEqual(["doctor", "--fix"]);
    expect(blocks[0]![0]!.text).toMatch(/^npm install && npx srt doctor --fix && npx srt /);
  });

  const scratch = tempDir("srt-readme-");
  const run = (words: readonly string[]) =>
    spawnSync(process.execPath, [srtBin, ...words], {
      cwd: repoRoot,
      env: { ...process.env, HOME: scratch, TMPDIR: scratch, NO_COLOR: "1" },
      encoding: "utf8",
      timeout: 60_000,
    });

  it.skipIf(!supported)(`the set-up's example runs in the sandbox${supported ? "" : ` (${skipReason})`}`, () => {
    const example = checked[0]!.find((l) => l.sub === undefined)!;
    const r = run(example.words);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe("hello from the sandbox\nwriting /etc: refused\n");
  });

  const readOnly = checked.flat().filter((l) => ["check", "explain", "compile"].includes(l.sub ?? ""));
  it.each(readOnly.map((l) => [l.where, l] as const))("%s runs", (_, l) => {
    // compile -o writes its plan into a scratch directory, not the checkout.
    const words = l.words.map((w, i) => (l.words[i - 1] === "-o" ? join(scratch, w) : w));
    const output = words[words.indexOf("-o") + 1];
    const r = run(words);
    expect(r.status, `srt ${words.join(" ")}\n${r.stderr}`).toBe(0);
    if (words.includes("-o")) expect(existsSync(output!)).toBe(true);
    else expect(r.stdout.length).toBeGreaterThan(0);
  });
});
