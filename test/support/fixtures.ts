/** Loads `fixtures/<case>/` (case.json + optional settings.json) and compiles it on a fixture Host. */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { compileSettings, type CompileResult, type SelfOutput, type Target } from "../../src/compiler/index.js";
import { repoRoot } from "./repo.js";
import { createFixtureHost, type FixtureEnv, type FixtureFs } from "./fixture-host.js";

export { repoRoot };

export interface FixtureCase {
  readonly name: string;
  readonly description: string;
  readonly target: Target;
  /** Where the compile believes the settings file lives ("default" = none). */
  readonly settingsPath: string;
  readonly text: string | undefined;
  readonly env: FixtureEnv;
  readonly fs: FixtureFs;
  readonly installDir?: string;
  /** Files srt writes for the policy's runs (`srt compile -o`, `--violations`). */
  readonly outputs?: readonly SelfOutput[];
  /** Budget override, to exercise the budget diagnostics without huge trees. */
  readonly maxEntries?: number;
}

export function listFixtures(): string[] {
  return readdirSync(`${repoRoot}fixtures`)
    .filter((n) => existsSync(`${repoRoot}fixtures/${n}/case.json`))
    .sort();
}

export function loadFixture(name: string): FixtureCase {
  const dir = `${repoRoot}fixtures/${name}`;
  const meta = JSON.parse(readFileSync(`${dir}/case.json`, "utf8")) as Omit<FixtureCase, "name" | "text"> & {
    target?: Target;
    settingsPath?: string;
  };
  const settingsFile = `${dir}/settings.json`;
  const text = existsSync(settingsFile) ? readFileSync(settingsFile, "utf8") : undefined;
  return {
    ...meta,
    name,
    target: meta.target ?? "linux",
    settingsPath: text === undefined ? "default" : (meta.settingsPath ?? `${meta.env.home}/.srt-settings.json`),
    text,
  };
}

export function compileFixture(c: FixtureCase, text: string | undefined = c.text): CompileResult {
  return compileSettings({
    text,
    file: c.settingsPath,
    host: createFixtureHost(c.fs, c.env),
    target: c.target,
    ...(c.installDir === undefined ? {} : { installDir: c.installDir }),
    ...(c.outputs === undefined ? {} : { outputs: c.outputs }),
    ...(c.maxEntries === undefined ? {} : { limits: { maxEntries: c.maxEntries, maxMillis: 1000 } }),
  });
}
