/** Runs the built CLI (dist/srt.cjs, package.json's bin) as a user would, without a shell. */
import { spawnSync } from "node:child_process";
import { repoRoot } from "./repo.js";

export const srtBin = `${repoRoot}dist/srt.cjs`;

export interface CliRun {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function runSrt(
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {},
): CliRun {
  const r = spawnSync(process.execPath, [srtBin, ...args], {
    cwd: options.cwd ?? repoRoot,
    env: { ...process.env, NO_COLOR: "1", ...options.env },
    input: options.input ?? "",
    encoding: "utf8",
    timeout: 20_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}
