/**
 * `httpProxyPort` / `socksProxyPort`: the sandbox's 127.0.0.1:3128 / :1080
 * lead to the user's own proxy on the host's loopback instead of srt's. The
 * stand-in proxies here record every request, so "the user's proxy saw it"
 * proves the route; the side that keeps srt's own proxy still filters.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lacking, unavailable } from "../support/requirements.js";
import { missingTestUser, runners, useBox } from "../linux/support.js";
import {
  makeScratch,
  missingTools,
  networkSkipReason,
  networkSupported,
  readViolations,
  runScript,
  shown,
  tools,
  values,
  violationsPath,
  type Scratch,
} from "./support.js";
import {
  startEchoServer,
  startHttpServer,
  startRecordingHttpProxy,
  startRecordingSocksProxy,
  type TestServer,
} from "./servers.js";

const node = process.execPath;

describe.skipIf(lacking(!networkSupported, networkSkipReason))("the user's own proxies", () => {
  if (missingTestUser) unavailable("as srt-test: user srt-test does not exist (useradd -m srt-test)");
  for (const why of missingTools) unavailable(why);
  let scratch: Scratch;
  let web: TestServer;
  let echo: TestServer;
  let userHttp: TestServer;
  let userSocks: TestServer;
  /** Listening, never allowed: srt's own proxy must refuse it. */
  let other: TestServer;

  beforeAll(async () => {
    scratch = makeScratch();
    web = await startHttpServer("web");
    echo = await startEchoServer();
    other = await startHttpServer("other");
    userHttp = await startRecordingHttpProxy();
    userSocks = await startRecordingSocksProxy();
  });
  afterAll(async () => {
    expect(other.seen, "srt's own proxy let an unlisted target through").toEqual([]);
    await Promise.all([web, echo, other, userHttp, userSocks].map((s) => s?.close()));
    scratch?.remove();
  });

  const allowed = (): string[] => [`127.0.0.1:${web.port}`, `127.0.0.1:${echo.port}`];

  describe.each(runners)("as %s", (runner) => {
    it("httpProxyPort: HTTP and CONNECT go to the user's proxy; SOCKS stays srt's and still refuses", async (ctx) => {
      const box = useBox(ctx, runner);
      const c = `${node} ${scratch.client}`;
      const before = userHttp.seen.length;
      const out = await runScript(
        scratch,
        box,
        { network: { allowedDomains: allowed(), httpProxyPort: userHttp.port } },
        [
          `${c} get http://127.0.0.1:${web.port}/via-user-${runner} | sed 's/^/get./'`,
          `${c} connect 127.0.0.1:${echo.port} user-tunnel-${runner} | sed 's/^/connect./'`,
          `${c} socks 127.0.0.1 ${other.port} x | sed 's/^/socks./'`,
          `${c} socks 127.0.0.1 ${echo.port} srt-socks-${runner} | sed 's/^/socksOk./'`,
        ].join("\n"),
        { flags: ["--violations", violationsPath(box)] },
      );
      const v = values(out);
      expect(out.status, shown(out)).toBe(0);
      expect(v, shown(out)).toMatchObject({
        "get.status": "200",
        "get.body": `hello web GET /via-user-${runner}`,
        "connect.status": "200",
        "connect.echo": `user-tunnel-${runner}`,
        "socks.reply": "2",
        "socksOk.reply": "0",
        "socksOk.echo": `srt-socks-${runner}`,
      });
      expect(userHttp.seen.slice(before)).toEqual([
        `GET http://127.0.0.1:${web.port}/via-user-${runner}`,
        `CONNECT 127.0.0.1:${echo.port}`,
      ]);
      expect(userSocks.seen).not.toContain(`127.0.0.1:${other.port}`);
      expect(readViolations(box).map((e) => `${String(e["proxy"])} ${String(e["host"])}:${String(e["port"])}`)).toEqual(
        [`socks 127.0.0.1:${other.port}`],
      );
    });

    it("socksProxyPort: SOCKS clients (Node, BSD nc) go to the user's proxy; HTTP stays srt's and still refuses", async (ctx) => {
      const box = useBox(ctx, runner);
      const c = `${node} ${scratch.client}`;
      const before = userSocks.seen.length;
      const out = await runScript(
        scratch,
        box,
        { network: { allowedDomains: allowed(), socksProxyPort: userSocks.port } },
        [
          `${c} socks 127.0.0.1 ${echo.port} user-socks-${runner} | sed 's/^/socks./'`,
          ...(tools.nc
            ? [
                `echo "nc=$(printf 'user-nc-${runner}\\nBYE\\n' | timeout 10 nc -X 5 -x 127.0.0.1:1080 localhost ${echo.port} | head -1)"`,
              ]
            : []),
          `${c} get http://127.0.0.1:${other.port}/ | sed 's/^/get./'`,
        ].join("\n"),
      );
      const v = values(out);
      expect(out.status, shown(out)).toBe(0);
      expect(v, shown(out)).toMatchObject({
        "socks.reply": "0",
        "socks.echo": `user-socks-${runner}`,
        "get.status": "403",
      });
      if (tools.nc) expect(v["nc"]).toBe(`user-nc-${runner}`);
      expect(userSocks.seen.slice(before)).toEqual([
        `127.0.0.1:${echo.port}`,
        ...(tools.nc ? [`localhost:${echo.port}`] : []),
      ]);
      expect(out.stderr).toMatch(new RegExp(`^srt: blocked 1 network request: 127\\.0\\.0\\.1:${other.port} `, "m"));
    });

    it("both ports set: everything goes to the user's proxies, and srt records no refusal of its own", async (ctx) => {
      const box = useBox(ctx, runner);
      const c = `${node} ${scratch.client}`;
      const [h, s] = [userHttp.seen.length, userSocks.seen.length];
      const out = await runScript(
        scratch,
        box,
        { network: { allowedDomains: allowed(), httpProxyPort: userHttp.port, socksProxyPort: userSocks.port } },
        [
          ...(tools.curl ? [`echo "curl=$(curl -sS --max-time 5 http://127.0.0.1:${web.port}/both-${runner})"`] : []),
          `${c} socks 127.0.0.1 ${echo.port} both-${runner} | sed 's/^/socks./'`,
        ].join("\n"),
        { flags: ["--violations", violationsPath(box)] },
      );
      const v = values(out);
      expect(out.status, shown(out)).toBe(0);
      if (tools.curl) {
        expect(v["curl"]).toBe(`hello web GET /both-${runner}`);
        expect(userHttp.seen.slice(h)).toEqual([`GET http://127.0.0.1:${web.port}/both-${runner}`]);
      }
      expect(v["socks.echo"]).toBe(`both-${runner}`);
      expect(userSocks.seen.slice(s)).toEqual([`127.0.0.1:${echo.port}`]);
      expect(readViolations(box)).toEqual([]);
    });
  });
});
