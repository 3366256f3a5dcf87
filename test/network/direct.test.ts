/**
 * The proxies are the only way out: inside the real sandbox a connection
 * that ignores them (curl --noproxy, a raw Node connect, IPv6 ::1) does not
 * reach a host server, even one the policy allows; with a policy that allows
 * no host the proxy variables still lead to srt's proxies, which refuse every
 * request at once (a tool fails instead of retrying a dead network); and
 * the command still has its own loopback to listen and connect on.
 */
import { spawnSync } from "node:child_process";
import dgram from "node:dgram";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lacking, unavailable } from "../support/requirements.js";
import { type Box, boxesUnder, engines, eventually, missingTestUser, runnersFor } from "../linux/support.js";
import {
  bridgeProcesses,
  makeScratch,
  missingTools,
  networkSkipReason,
  networkSupported,
  runScript,
  shown,
  startScript,
  tools,
  values,
  type Scratch,
} from "./support.js";
import { startEchoServer, startHttpServer, type TestServer } from "./servers.js";

const node = process.execPath;

/** A shell loop (bounded to ~5 s) that holds the command until the test creates `release` in the work dir. */
const holdUntilReleased = "echo ready; i=0; while [ ! -e release ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done";

/** Every file below the box's srt TMPDIR (run dirs included), while a run is live. */
const runDirFiles = (box: Box): string[] => readdirSync(box.tmp, { recursive: true }).map(String);

describe.skipIf(lacking(!networkSupported, networkSkipReason))("direct connections from the sandbox", () => {
  if (missingTestUser) unavailable("as srt-test: user srt-test does not exist (useradd -m srt-test)");
  for (const why of missingTools) unavailable(why);
  let scratch: Scratch;
  let web: TestServer;
  let echo: TestServer;
  let web6: TestServer | undefined;

  beforeAll(async () => {
    scratch = makeScratch();
    web = await startHttpServer("web");
    echo = await startEchoServer();
    if (tools.ipv6) web6 = await startHttpServer("web6", "::1");
  });
  afterAll(async () => {
    expect(echo.seen, "a direct connection reached the host's echo server").toEqual([]);
    await Promise.all([web?.close(), echo?.close(), web6?.close()]);
    scratch?.remove();
  });

  describe.each(engines)("under %s", (engine) => {
    const useBox = boxesUnder(engine);
    describe.each(runnersFor(engine))("as %s", (runner) => {
      it("bypassing the proxy fails even for an allowed target: curl --noproxy, raw Node connects (IPv4 and ::1)", async (ctx) => {
        const box = useBox(ctx, runner);
        const allowed = [`127.0.0.1:${web.port}`, `127.0.0.1:${echo.port}`, ...(web6 ? [`[::1]:${web6.port}`] : [])];
        const c = `${node} ${scratch.client}`;
        const out = await runScript(
          scratch,
          box,
          { network: { allowedDomains: allowed } },
          [
            // Control: the same target through the proxy works in this very run.
            ...(tools.curl
              ? [
                  `curl -s --max-time 5 -o /dev/null -w 'proxied=%{http_code}\\n' http://127.0.0.1:${web.port}/proxied-${runner}`,
                  `curl -s --max-time 5 --noproxy '*' http://127.0.0.1:${web.port}/bypass-${runner}; echo "noproxy=$?"`,
                ]
              : [`${c} get http://127.0.0.1:${web.port}/proxied-${runner} | sed -n 's/^status=/proxied=/p'`]),
            `${c} direct 127.0.0.1 ${web.port} | sed 's/^direct=/v4=/'`,
            `${c} direct 127.0.0.1 ${echo.port} | sed 's/^direct=/echo=/'`,
            ...(web6 ? [`${c} direct ::1 ${web6.port} | sed 's/^direct=/v6=/'`] : []),
            ...(web6 && tools.curl
              ? [`curl -s --max-time 5 --noproxy '*' -g http://[::1]:${web6.port}/bypass6; echo "noproxy6=$?"`]
              : []),
          ].join("\n"),
        );
        const v = values(out);
        expect(out.status, shown(out)).toBe(0);
        expect(v["proxied"], shown(out)).toBe("200");
        if (tools.curl) expect(v["noproxy"]).toBe("7"); // couldn't connect
        expect(v["v4"]).toBe("ECONNREFUSED");
        expect(v["echo"]).toBe("ECONNREFUSED");
        if (web6) {
          expect(v["v6"]).toMatch(/^E[A-Z]+$/);
          expect(v["v6"]).not.toBe("connected");
          if (tools.curl) expect(v["noproxy6"]).toBe("7");
          expect(web6.seen).toEqual([]);
        }
        expect(web.seen).toContain(`GET /proxied-${runner}`);
        expect(web.seen).not.toContain(`GET /bypass-${runner}`);
      });

      it("UDP from the sandbox never reaches a host UDP server, even on an allowed address (the same client outside is heard)", async (ctx) => {
        const box = useBox(ctx, runner);
        const udp = dgram.createSocket("udp4");
        const got: string[] = [];
        udp.on("message", (m) => got.push(m.toString()));
        await new Promise<void>((resolve) => udp.bind(0, "127.0.0.1", resolve));
        try {
          const port = udp.address().port;
          // Control: the same client from the host, outside the sandbox, is heard.
          const control = spawnSync(node, [scratch.client, "udp", "127.0.0.1", String(port)], {
            encoding: "utf8",
            timeout: 10_000,
          });
          expect(control.stdout).toContain("udp=sent");
          expect(await eventually(() => got.length === 3)).toBe(true);
          got.length = 0;
          const out = await runScript(
            scratch,
            box,
            { network: { allowedDomains: [`127.0.0.1:${port}`, `127.0.0.1:${web.port}`] } },
            `${node} ${scratch.client} udp 127.0.0.1 ${port}`,
          );
          expect(out.status, shown(out)).toBe(0);
          expect(values(out)["udp"], shown(out)).toMatch(/^(sent|E[A-Z]+)$/);
          // A fence instead of a pause: loopback delivers a datagram during sendto, so anything the
          // sandbox got through is queued before this one; once the fence is read, nothing else came.
          const fence = dgram.createSocket("udp4");
          await new Promise<void>((resolve, reject) =>
            fence.send("fence", port, "127.0.0.1", (e) => (fence.close(), e ? reject(e) : resolve())),
          );
          expect(await eventually(() => got.includes("fence"))).toBe(true);
          expect(got).toEqual(["fence"]);
        } finally {
          udp.close();
        }
      });

      it("no allowed domains: the proxy variables lead to srt's proxies, which refuse at once; direct connections fail", async (ctx) => {
        const box = useBox(ctx, runner);
        const c = `${node} ${scratch.client}`;
        const seenBefore = web.seen.length;
        const out = await runScript(
          scratch,
          box,
          { network: { deniedDomains: ["evil.srt.test"] } },
          [
            `echo "http_proxy=\${HTTP_PROXY-unset}"`,
            `echo "https_proxy=\${HTTPS_PROXY-unset}"`,
            `echo "all_proxy=\${ALL_PROXY-unset}"`,
            `${c} connect 127.0.0.1:${web.port} hi | sed 's/^/tunnel./'`,
            `${c} get http://127.0.0.1:${web.port}/ | sed 's/^/get./'`,
            `${c} socks 127.0.0.1 ${web.port} hi | sed 's/^/socks./'`,
            `${c} direct 127.0.0.1 ${web.port} | sed 's/^direct=/v4=/'`,
          ].join("\n"),
        );
        const v = values(out);
        expect(out.status, shown(out)).toBe(0);
        expect(v).toMatchObject({
          http_proxy: "http://127.0.0.1:3128",
          https_proxy: "http://127.0.0.1:3128",
          all_proxy: "socks5h://127.0.0.1:1080",
          "tunnel.status": "403",
          "get.status": "403",
          "socks.reply": "2",
          v4: "ECONNREFUSED",
        });
        // Nothing reached the host's server; the summary says what was refused and what would allow it.
        expect(web.seen.length).toBe(seenBefore);
        expect(out.stderr).toMatch(
          new RegExp(`^srt: blocked \\d+ network requests: 127\\.0\\.0\\.1:${web.port} `, "m"),
        );
        expect(out.stderr).toContain(
          `srt: to allow 127.0.0.1: add it to network.allowedDomains in the settings, or run with --allow-domain 127.0.0.1\n`,
        );
      });

      it("the command listens and connects on its own loopback, with and without proxies", async (ctx) => {
        const box = useBox(ctx, runner);
        const script = [
          `${node} ${scratch.client} loopback`,
          // A shell-level server too, on the port of the host's echo server: the sandbox's lo is its own, so
          // the two cannot collide, and the answer shows which one the client reached. The client sends
          // nothing and no FIN (-d) until the server has answered and closed: nc quits at its peer's end
          // once its stdout is drained, so on a busy machine a client's immediate FIN could reach the
          // server before printf had filled its stdin; it quit without answering and, serving one
          // connection only, left every retry refused (seen once, at load 6–8).
          ...(tools.nc
            ? [
                `(printf 'from-nc-server\\n' | timeout 10 nc -l -N 127.0.0.1 ${echo.port} >/dev/null &) ; i=0; until r=$(timeout 5 nc -d 127.0.0.1 ${echo.port} 2>/dev/null) && [ -n "$r" ] || [ $i -ge 200 ]; do sleep 0.05; i=$((i+1)); done; echo "nc=$r"`,
              ]
            : []),
        ].join("\n");
        for (const settings of [{}, { network: { allowedDomains: [`127.0.0.1:${echo.port}`] } }]) {
          const out = await runScript(scratch, box, settings, script);
          const v = values(out);
          expect(out.status, shown(out)).toBe(0);
          expect(v["loopback"], shown(out)).toBe("ping-inside");
          if (tools.nc) expect(v["nc"], shown(out)).toBe("from-nc-server");
        }
      });
    });
  });
});
