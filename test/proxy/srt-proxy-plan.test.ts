/**
 * `srt proxy --plan` with the built CLI and clients outside any sandbox: the
 * compiled plan's network policy (its request filters included) is served,
 * --ready-fd gets the ready line once everything listens, and --health
 * answers 200 while serving and 503 once SIGTERM started the shutdown.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { srtBin } from "../linux/support.js";
import { echoServer, eventually, httpServer, type Server } from "./harness.js";

let dir: string;
let web: Server;
let other: Server;
let echo: Server;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "srt-proxy-plan-"));
  mkdirSync(join(dir, "work"));
  web = await httpServer();
  other = await httpServer();
  echo = await echoServer();
});
afterAll(async () => {
  await Promise.all([web.close(), other.close(), echo.close()]);
  rmSync(dir, { recursive: true, force: true });
});

const env = (): NodeJS.ProcessEnv => ({ PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir });
const srtSync = (args: string[]): ReturnType<typeof spawnSync> =>
  spawnSync(process.execPath, [srtBin, ...args], { cwd: join(dir, "work"), env: env(), encoding: "utf8" });

function healthz(address: string): Promise<number> {
  const [host, port] = [address.slice(0, address.lastIndexOf(":")), Number(address.split(":").pop())];
  return new Promise((resolve) => {
    http
      .get({ host, port, path: "/healthz", agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
      .on("error", () => resolve(0));
  });
}

function viaProxy(proxyPort: number, url: string, host?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(
        {
          host: "127.0.0.1",
          port: proxyPort,
          path: url,
          agent: false,
          headers: { Host: host ?? new URL(url, "http://x").host },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      )
      .on("error", reject);
  });
}

describe("srt proxy --plan, --ready-fd, --health", () => {
  it("serves a plan's policy; the ready line arrives on the descriptor; health is 200, then 503 while draining", async () => {
    const settings = join(dir, "settings.json");
    writeFileSync(
      settings,
      JSON.stringify({
        network: { allowedDomains: [`127.0.0.1:${web.port}`, `127.0.0.1:${echo.port}`], requireHostMatch: true },
      }),
    );
    const plan = join(dir, "plan.json");
    const compiled = srtSync(["compile", "--target", "linux", "--settings", settings, "-o", plan]);
    expect(compiled.status, String(compiled.stderr)).toBe(0);

    const child = spawn(
      process.execPath,
      [
        srtBin,
        "proxy",
        "--plan",
        plan,
        "--listen",
        "127.0.0.1:0",
        "--health",
        "127.0.0.1:0",
        "--ready-fd",
        "3",
        "--grace-ms",
        "30000",
      ],
      { cwd: join(dir, "work"), env: env(), stdio: ["ignore", "pipe", "pipe", "pipe"] },
    );
    const killer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    let stderr = "";
    child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.stdout!.resume();
    const done = new Promise<number | null>((r) => child.on("close", (code) => (clearTimeout(killer), r(code))));
    const readyText = await new Promise<string>((resolve) => {
      let text = "";
      const fd3 = child.stdio[3] as Readable;
      fd3.setEncoding("utf8").on("data", (d: string) => (text += d));
      fd3.on("end", () => resolve(text));
      fd3.on("close", () => resolve(text));
    });
    expect(readyText.endsWith("\n"), stderr).toBe(true);
    const ready = JSON.parse(readyText) as { kind: string; http: string; health: string; policy: string };
    expect(ready.kind).toBe("ready");
    expect(ready.policy).toBe(`plan:${plan}`);
    const port = Number(ready.http.split(":").pop());

    expect(await healthz(ready.health)).toBe(200);
    // The health listener is not the proxy: the proxy refuses an origin-form /healthz.
    expect(await viaProxy(port, "/healthz")).toBe(400);
    expect(await viaProxy(port, `http://127.0.0.1:${web.port}/allowed`)).toBe(201);
    expect(await viaProxy(port, `http://127.0.0.1:${other.port}/refused`)).toBe(403);
    // The plan's request filters came along.
    expect(await viaProxy(port, `http://127.0.0.1:${web.port}/x`, "metadata.internal")).toBe(421);

    // An open tunnel keeps the shutdown waiting: health says 503 meanwhile.
    const tunnel = net.connect(port, "127.0.0.1");
    tunnel.on("error", () => undefined);
    let got = "";
    tunnel.setEncoding("latin1").on("data", (d: string) => (got += d));
    tunnel.write(`CONNECT 127.0.0.1:${echo.port} HTTP/1.1\r\nHost: 127.0.0.1:${echo.port}\r\n\r\n`);
    expect(await eventually(() => got.includes(" 200 "))).toBe(true);
    child.kill("SIGTERM");
    let status = 0;
    expect(await eventually(() => (void healthz(ready.health).then((s) => (status = s)), status === 503))).toBe(true);
    tunnel.destroy();
    expect(await done).toBe(0);
  });

  it("refuses --plan with --settings, a file that is not a plan, and a closed --ready-fd (exit 2)", async () => {
    const notPlan = join(dir, "not-a-plan.json");
    writeFileSync(notPlan, JSON.stringify({ network: {} }));
    const both = srtSync(["proxy", "--plan", notPlan, "--settings", notPlan, "--listen", "127.0.0.1:0"]);
    expect(both.status).toBe(2);
    expect(String(both.stderr)).toContain("give one");
    const bad = srtSync(["proxy", "--plan", notPlan, "--listen", "127.0.0.1:0"]);
    expect(bad.status).toBe(2);
    expect(String(bad.stderr)).toContain("SRT503");
    const fd = srtSync(["proxy", "--plan", notPlan, "--listen", "127.0.0.1:0", "--ready-fd", "200"]);
    expect(fd.status).toBe(2);
    expect(String(fd.stderr)).toContain("--ready-fd 200: not an open descriptor");
  });
});
