/**
 * `srt proxy --plan` with the built CLI and clients outside any sandbox: the
 * compiled plan's network policy (its request filters included) is served,
 * --ready-fd gets the ready line once everything listens, and --health
 * answers 200 while serving and 503 once SIGTERM started the shutdown.
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { srtBin } from "../linux/support.js";
import { srtEnv, srtProxyScene, startSrtProxy } from "../support/srt-proxy.js";
import { eventually } from "./harness.js";

const scene = srtProxyScene("srt-proxy-plan-");
const srtSync = (args: string[]): ReturnType<typeof spawnSync> =>
  spawnSync(process.execPath, [srtBin, ...args], {
    cwd: join(scene.dir, "work"),
    env: srtEnv(scene.dir),
    encoding: "utf8",
  });

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
    const settings = join(scene.dir, "settings.json");
    writeFileSync(
      settings,
      JSON.stringify({
        network: {
          allowedDomains: [`127.0.0.1:${scene.web.port}`, `127.0.0.1:${scene.echo.port}`],
          requireHostMatch: true,
        },
      }),
    );
    const plan = join(scene.dir, "plan.json");
    const compiled = srtSync(["compile", "--target", "linux", "--settings", settings, "-o", plan]);
    expect(compiled.status, String(compiled.stderr)).toBe(0);

    const srt = startSrtProxy(scene.dir, [
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
    ]);
    const readyText = await new Promise<string>((resolve) => {
      let text = "";
      srt.fd3.setEncoding("utf8").on("data", (d: string) => (text += d));
      srt.fd3.on("end", () => resolve(text));
      srt.fd3.on("close", () => resolve(text));
    });
    const stderr = srt.stderr();
    expect(readyText.endsWith("\n"), stderr).toBe(true);
    const ready = JSON.parse(readyText) as { kind: string; http: string; health: string; policy: string };
    expect(ready.kind).toBe("ready");
    expect(ready.policy).toBe(`plan:${plan}`);
    const port = Number(ready.http.split(":").pop());

    expect(await healthz(ready.health)).toBe(200);
    // The health listener is not the proxy: the proxy refuses an origin-form /healthz.
    expect(await viaProxy(port, "/healthz")).toBe(400);
    expect(await viaProxy(port, `http://127.0.0.1:${scene.web.port}/allowed`)).toBe(201);
    expect(await viaProxy(port, `http://127.0.0.1:${scene.other.port}/refused`)).toBe(403);
    // The plan's request filters came along.
    expect(await viaProxy(port, `http://127.0.0.1:${scene.web.port}/x`, "metadata.internal")).toBe(421);

    // An open tunnel keeps the shutdown waiting: health says 503 meanwhile.
    const tunnel = net.connect(port, "127.0.0.1");
    tunnel.on("error", () => undefined);
    let got = "";
    tunnel.setEncoding("latin1").on("data", (d: string) => (got += d));
    tunnel.write(`CONNECT 127.0.0.1:${scene.echo.port} HTTP/1.1\r\nHost: 127.0.0.1:${scene.echo.port}\r\n\r\n`);
    expect(await eventually(() => got.includes(" 200 "))).toBe(true);
    srt.child.kill("SIGTERM");
    let status = 0;
    expect(await eventually(() => (void healthz(ready.health).then((s) => (status = s)), status === 503))).toBe(true);
    tunnel.destroy();
    expect(await srt.done).toBe(0);
  });

  it("refuses --plan with --settings, a file that is not a plan, and a closed --ready-fd (exit 2)", async () => {
    const notPlan = join(scene.dir, "not-a-plan.json");
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
