/**
 * The bridge into the sandbox (socat in the sandbox's network namespace, see
 * src/runtime/linux/bridge.ts) must not be the weak link of the proxy path:
 * a burst of connections must not overflow its listen queue, a half-closed
 * tunnel must live by the proxy's own rule rather than socat's 0.5 s timer,
 * and the proxy's 431 must reach a client that is still writing. Each case
 * runs a real client inside a real sandbox (robust-client.mjs) against
 * loopback servers in this process.
 */
import { copyFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lacking, unavailable } from "../support/requirements.js";
import { missingTestUser, runners, useBox } from "../linux/support.js";
import { makeScratch, networkSkipReason, networkSupported, runScript, shown, values, type Scratch } from "./support.js";

const node = process.execPath;

interface Local {
  readonly port: number;
  close(): Promise<void>;
}

async function serve(server: net.Server): Promise<Local> {
  const sockets = new Set<net.Socket>();
  server.on("connection", (s: net.Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

describe.skipIf(lacking(!networkSupported, networkSkipReason))("the proxy bridge under load and half-closes", () => {
  if (missingTestUser) unavailable("as srt-test: user srt-test does not exist (useradd -m srt-test)");
  let scratch: Scratch;
  let client: string;
  let late: Local;
  let echo: Local;
  let web: Local;
  const settings = (): unknown => ({
    network: { allowedDomains: [`127.0.0.1:${late.port}`, `127.0.0.1:${echo.port}`, `127.0.0.1:${web.port}`] },
  });

  beforeAll(async () => {
    scratch = makeScratch();
    client = join(scratch.dir, "robust-client.mjs");
    copyFileSync(fileURLToPath(new URL("./robust-client.mjs", import.meta.url)), client);
    // Answers only after the client's FIN, and 2 s later: longer than socat's default half-close timeout.
    late = await serve(
      net.createServer({ allowHalfOpen: true }, (s) => {
        let got = "";
        s.on("data", (d: Buffer) => (got += d.toString()));
        s.on("end", () => setTimeout(() => s.end(`late:${got}`), 2000));
      }),
    );
    echo = await serve(net.createServer({ allowHalfOpen: true }, (s) => s.pipe(s)));
    web = await serve(http.createServer((_req, res) => res.end("ok")));
  });
  afterAll(async () => {
    await Promise.all([late?.close(), echo?.close(), web?.close()]);
    scratch?.remove();
  });

  describe.each(runners)("as %s", (runner) => {
    it("an answer 2 s after the client's FIN arrives through a CONNECT tunnel and through SOCKS5", async (ctx) => {
      const box = useBox(ctx, runner);
      const out = await runScript(
        scratch,
        box,
        settings(),
        [
          `${node} ${client} late 127.0.0.1:${late.port} | sed 's/^reply=/connect=/'`,
          `${node} ${client} sockslate 127.0.0.1 ${late.port} | sed 's/^reply=/socks=/'`,
        ].join("\n"),
        { timeoutMs: 60_000 },
      );
      const v = values(out);
      expect(out.status, shown(out)).toBe(0);
      expect(v["connect"], shown(out)).toBe(JSON.stringify("late:hello"));
      expect(v["socks"], shown(out)).toBe(JSON.stringify("late:hello"));
    }, 90_000);

    it("100,000 header lines: the client, still writing, reads the proxy's 431 (three times)", async (ctx) => {
      const box = useBox(ctx, runner);
      const url = `http://127.0.0.1:${web.port}/`;
      const out = await runScript(
        scratch,
        box,
        settings(),
        [1, 2, 3].map((i) => `${node} ${client} bighead ${url} | sed -n 's/^status=/status${i}=/p'`).join("\n"),
        { timeoutMs: 60_000 },
      );
      const v = values(out);
      expect(out.status, shown(out)).toBe(0);
      for (const i of [1, 2, 3])
        expect(v[`status${i}`], shown(out)).toBe(JSON.stringify("HTTP/1.1 431 Request Header Fields Too Large"));
    }, 90_000);

    it("500 tunnels opened at once: all carry their bytes, no listen-queue overflow in the sandbox", async (ctx) => {
      const box = useBox(ctx, runner);
      const out = await runScript(scratch, box, settings(), `${node} ${client} burst 127.0.0.1:${echo.port} 500`, {
        timeoutMs: 90_000,
      });
      const v = values(out);
      expect(out.status, shown(out)).toBe(0);
      expect(v["ok"], shown(out)).toBe("500");
      // With socat's default backlog of 5 the kernel drops hundreds of SYNs here (TcpExt ListenOverflows).
      expect(v["overflows"], shown(out)).toBe("0");
    }, 120_000);

    it("2,000 plain-HTTP requests, 200 at a time: none fails", async (ctx) => {
      const box = useBox(ctx, runner);
      const out = await runScript(
        scratch,
        box,
        settings(),
        `CLIENT_TIMEOUT_MS=100000 ${node} ${client} load http://127.0.0.1:${web.port}/ 2000 200`,
        { timeoutMs: 120_000 },
      );
      const v = values(out);
      expect(out.status, shown(out)).toBe(0);
      expect(v["errors"], shown(out)).toBe("0");
      expect(v["overflows"], shown(out)).toBe("0");
    }, 150_000);
  });
});
