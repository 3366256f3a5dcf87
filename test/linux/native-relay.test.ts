/**
 * A real run's tunnels through srt's native relay (native/srt-relay): bytes
 * arrive exactly, `-d` says which relay copies, and nothing of the relay (its
 * control socket, the tunnels it holds) is a descriptor inside the sandbox.
 */
import { createHash } from "node:crypto";
import http from "node:http";
import type net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { missingTestUser, report, runners, skipReason, srt, supported, useBox, writeSettings } from "./support.js";
import { lacking, unavailable } from "../support/requirements.js";

const size = 32 * 1024 * 1024 + 5;
const body = Buffer.alloc(size);
for (let i = 0; i < size; i++) body[i] = (i * 7 + (i >> 13)) & 0xff;
const digest = createHash("sha256").update(body).digest("hex");
let server: http.Server;
let port = 0;
beforeAll(async () => {
  server = http.createServer((_req, res) => res.end(body));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as net.AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe.skipIf(lacking(!supported, skipReason))("native relay in a run", () => {
  if (missingTestUser) unavailable("as srt-test: user srt-test does not exist (useradd -m srt-test)");

  describe.each(runners)("as %s", (runner) => {
    it.concurrent(
      "CONNECT and SOCKS downloads arrive byte-exact; the sandbox holds only its own descriptors",
      async (ctx) => {
        const b = useBox(ctx, runner);
        writeSettings(b, { network: { allowedDomains: ["127.0.0.1"] } });
        const url = `http://127.0.0.1:${port}/`;
        const script = [
          `echo http=$(curl -sf -p -x http://127.0.0.1:3128 ${url} | sha256sum | cut -c1-64)`,
          `echo socks=$(curl -sf --socks5 127.0.0.1:1080 ${url} | sha256sum | cut -c1-64)`,
          // The relay is running now (started by the first tunnel): a new process sees no descriptor of it.
          `echo fds=$(ls /proc/self/fd | tr '\\n' ,)`,
        ].join("; ");
        // The default: no setting or variable turns it on.
        const out = await srt(b, ["--settings", b.settings, "-d", "-c", script], { timeoutMs: 120_000 });
        expect(out.status, out.stderr).toBe(0);
        const r = report(out);
        expect(r["http"]).toBe(digest);
        expect(r["socks"]).toBe(digest);
        // stdin, stdout, stderr and ls's own directory descriptor.
        expect(r["fds"]).toBe("0,1,2,3,");
        expect(out.stderr).toContain("srt: tunnels are copied by srt's native relay");
      },
    );
  });
});
