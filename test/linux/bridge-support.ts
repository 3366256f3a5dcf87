/**
 * For the tests that start native/srt-bridge by hand against a namespace
 * they hold themselves (an `unshare` process), as root or as srt-test, with
 * a unix socket standing in for srt's proxy.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "../support/repo.js";
import { PATH, setprivPath, testGid, testUid, type Runner, type TestHooks } from "./support.js";

export const bridge = join(repoRoot, "dist/native/srt-bridge");
export const unshare = ["/usr/bin/unshare", "/bin/unshare"].find(existsSync)!;
export const ip = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].find(existsSync)!;
/** Why these tests cannot run here, if they cannot. */
export const missing =
  process.platform !== "linux"
    ? "not Linux"
    : !existsSync(bridge)
      ? `${bridge} is missing (npm run build)`
      : !existsSync(setprivPath) || !existsSync(unshare) || !existsSync(ip)
        ? "setpriv, unshare and ip (util-linux, iproute2) are needed"
        : undefined;

/** argv that runs `argv` as the runner (root: as it is); setpriv execs, so the parent stays ours. */
export function as(runner: Runner, argv: readonly string[]): string[] {
  if (runner !== "srt-test") return [...argv];
  return [setprivPath, `--reuid=${testUid}`, `--regid=${testGid}`, "--clear-groups", "--", ...argv];
}

/** A process killed when the test finishes. */
export function start(ctx: TestHooks, argv: readonly string[], stdio: ("pipe" | "ignore" | "inherit")[]): ChildProcess {
  const c = spawn(argv[0]!, argv.slice(1), { stdio, env: { PATH } });
  ctx.onTestFinished(() => {
    if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  });
  return c;
}

/** bash in a new network namespace (and, as srt-test, a user namespace that owns it), as the runner. */
export const inNetns = (ctx: TestHooks, runner: Runner, script: string): ChildProcess =>
  start(ctx, as(runner, [unshare, runner === "srt-test" ? "-rn" : "-n", "--", "bash", "-c", script]), [
    "pipe",
    "pipe",
    "inherit",
  ]);

/** srt-bridge with the test process as its srt; `extra` goes before the PORT=SOCKET pair. */
export function startBridge(
  ctx: TestHooks,
  runner: Runner,
  sandboxPid: number,
  port: number,
  socket: string,
  extra: readonly string[] = [],
): { child: ChildProcess; stderr: () => string; ready: Promise<string> } {
  const argv = [bridge, String(process.pid), String(sandboxPid), runner === "srt-test" ? "1" : "0"];
  const child = start(ctx, as(runner, [...argv, ...extra, `${port}=${socket}`]), ["ignore", "ignore", "pipe", "pipe"]);
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const ready = said(child.stdio[3] as NodeJS.ReadableStream, "ready\n");
  ready.catch(() => undefined);
  return { child, stderr: () => stderr, ready };
}

/** Resolves with what the stream said once it contains `text`; rejects when it ends without. */
export function said(stream: NodeJS.ReadableStream, text: string): Promise<string> {
  let seen = "";
  return new Promise((resolve, reject) => {
    stream.setEncoding("utf8");
    stream.on("data", (d: string) => (seen += d).includes(text) && resolve(seen));
    stream.on("end", () => reject(new Error(`ended without ${JSON.stringify(text)}: ${JSON.stringify(seen)}`)));
  });
}

export const exited = (c: ChildProcess): Promise<string> =>
  new Promise((resolve) => c.once("exit", (code, signal) => resolve(`exited (${signal ?? code})`)));

/** A unix socket standing in for srt's proxy, open to srt-test; `got` resolves with the first connection's bytes. */
export function fakeProxy(ctx: TestHooks): { path: string; got: Promise<string> } {
  const dir = mkdtempSync(join(tmpdir(), "srt-bridge-test-"));
  chmodSync(dir, 0o755);
  const path = join(dir, "proxy.sock");
  let received = "";
  const got = new Promise<string>((resolve) => {
    const server = createServer((c) => {
      c.setEncoding("utf8");
      c.on("data", (d: string) => (received += d));
      c.on("end", () => resolve(received));
    });
    server.listen(path, () => chmodSync(path, 0o666));
    ctx.onTestFinished(() => {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    });
  });
  return { path, got };
}
