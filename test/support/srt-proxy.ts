/**
 * `srt proxy` run by the built CLI, for the tests of the proxy as a service: a scratch HOME
 * (with a `work` directory the proxy runs in) and the loopback servers a policy can name, set up
 * once per file; and the running proxy with its stdout JSON lines, its stderr and descriptor 3.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Duplex } from "node:stream";
import { afterAll, beforeAll } from "vitest";
import { srtBin } from "../linux/support.js";
import { echoServer, httpServer, type Server } from "../proxy/harness.js";

export interface SrtProxyScene {
  /** HOME of every srt the file runs; `work` in it is their working directory. */
  readonly dir: string;
  /** Two HTTP servers (harness.ts's httpServer) and an echo server, on 127.0.0.1. */
  readonly web: Server;
  readonly other: Server;
  readonly echo: Server;
}

/** Registers the scene's set-up and clean-up with the file's beforeAll/afterAll; its fields are there once beforeAll ran. */
export function srtProxyScene(prefix: string): SrtProxyScene {
  const scene = {} as { -readonly [K in keyof SrtProxyScene]: SrtProxyScene[K] };
  beforeAll(async () => {
    scene.dir = mkdtempSync(join(tmpdir(), prefix));
    mkdirSync(join(scene.dir, "work"));
    [scene.web, scene.other, scene.echo] = await Promise.all([httpServer(), httpServer(), echoServer()]);
  });
  afterAll(async () => {
    await Promise.all([scene.web.close(), scene.other.close(), scene.echo.close()]);
    rmSync(scene.dir, { recursive: true, force: true });
  });
  return scene;
}

/** The environment srt runs with in these tests: PATH, and the scene's directory as HOME. */
export const srtEnv = (dir: string): NodeJS.ProcessEnv => ({ PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir });

export interface RunningProxy {
  readonly child: ChildProcess;
  /** Descriptor 3, a pipe both ways: --control-fd 3 writes to it, --ready-fd 3 reads from it. */
  readonly fd3: Duplex;
  /** JSON lines printed so far. */
  readonly lines: Record<string, unknown>[];
  /** Resolves with the first line that `match` accepts; rejects once srt proxy has exited without one. */
  line(match: (l: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  stderr(): string;
  /** The exit code; SIGKILLed after 60 s so that a hung proxy fails its test instead of the run. */
  readonly done: Promise<number | null>;
}

/** `srt proxy ARGS` in the scene's `work` directory; `fd4`, when given, becomes its descriptor 4. */
export function startSrtProxy(dir: string, args: readonly string[], fd4?: number): RunningProxy {
  const child = spawn(process.execPath, [srtBin, "proxy", ...args], {
    cwd: join(dir, "work"),
    env: srtEnv(dir),
    stdio: ["ignore", "pipe", "pipe", "pipe", ...(fd4 === undefined ? [] : [fd4])],
  });
  const lines: Record<string, unknown>[] = [];
  let partial = "";
  let err = "";
  const waiters: (() => void)[] = [];
  child.stdout!.setEncoding("utf8").on("data", (d: string) => {
    partial += d;
    const parts = partial.split("\n");
    partial = parts.pop()!;
    for (const p of parts) lines.push(JSON.parse(p) as Record<string, unknown>);
    for (const w of waiters.splice(0)) w();
  });
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (err += d));
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const done = new Promise<number | null>((resolve) =>
    child.on("close", (code) => (clearTimeout(timer), resolve(code))),
  );
  child.on("exit", () => {
    for (const w of waiters.splice(0)) w();
  });
  return {
    child,
    fd3: child.stdio[3] as Duplex,
    lines,
    stderr: () => err,
    done,
    line: (match) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          const found = lines.find(match);
          if (found) resolve(found);
          else if (child.exitCode !== null) reject(new Error(`srt proxy exited (${child.exitCode}): ${err}`));
          else waiters.push(check);
        };
        check();
      }),
  };
}
