/**
 * Allowed traffic arrives: real clients inside the real sandbox (curl, BSD
 * nc, git, a Node client, an ssh-style ProxyCommand) reach servers on the
 * host's loopback only through srt's proxies and the bridges into the
 * sandbox's network namespace — checked on both ends (what the client
 * printed, what the server saw).
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lacking, unavailable } from "../support/requirements.js";
import { boxesUnder, engines, missingRunc, missingTestUser, printed, runnersFor, useBox } from "../linux/support.js";
import {
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
import { bulk, startEchoServer, startHttpServer, startStaticServer, type TestServer } from "./servers.js";

const node = process.execPath;
const marker = `m${process.pid}`;

describe.skipIf(lacking(!networkSupported, networkSkipReason))("allowed network traffic through the sandbox", () => {
  if (missingTestUser) unavailable("as srt-test: user srt-test does not exist (useradd -m srt-test)");
  if (missingRunc) unavailable("under runc (srt --runtime runc): runc is not installed (apt-get install runc)");
  for (const why of missingTools) unavailable(why);
  let scratch: Scratch;
  let web: TestServer;
  let echo: TestServer;
  let git: TestServer | undefined;
  let web6: TestServer | undefined;
  let head = "";
  const allowAll = (): unknown => ({
    network: {
      allowedDomains: [`127.0.0.1:${web.port}`, `127.0.0.1:${echo.port}`, ...(git ? [`127.0.0.1:${git.port}`] : [])],
    },
  });

  beforeAll(async () => {
    scratch = makeScratch();
    web = await startHttpServer(marker);
    echo = await startEchoServer();
    if (tools.ipv6) web6 = await startHttpServer(`${marker}-v6`, "::1");
    if (tools.git) {
      // A dumb-HTTP remote: a bare repository with info/refs and objects/info/packs, served as files.
      const root = join(scratch.dir, "git");
      mkdirSync(root);
      const env = {
        ...process.env,
        GIT_CONFIG_NOSYSTEM: "1",
        HOME: scratch.dir,
        GIT_AUTHOR_NAME: "t",
        GIT_AUTHOR_EMAIL: "t@t",
        GIT_COMMITTER_NAME: "t",
        GIT_COMMITTER_EMAIL: "t@t",
      };
      const g = (...a: string[]): string => {
        const r = spawnSync("git", a, { env, encoding: "utf8" });
        if (r.status !== 0) throw new Error(`git ${a.join(" ")}: ${r.stderr}`);
        return r.stdout.trim();
      };
      g("init", "-q", "-b", "main", join(root, "src"));
      g("-C", join(root, "src"), "commit", "-q", "--allow-empty", "-m", "first");
      head = g("-C", join(root, "src"), "rev-parse", "HEAD");
      g("clone", "-q", "--bare", join(root, "src"), join(root, "repo.git"));
      g("-C", join(root, "repo.git"), "update-server-info");
      spawnSync("chmod", ["-R", "a+rX", root]);
      git = await startStaticServer(root);
    }
  });
  afterAll(async () => {
    await Promise.all([web?.close(), echo?.close(), git?.close(), web6?.close()]);
    scratch?.remove();
  });

  describe.each(engines)("under %s", (engine) => {
    const useBox = boxesUnder(engine);
    describe.each(runnersFor(engine))("as %s", (runner) => {
      it.skipIf(!tools.curl)(
        "curl: plain HTTP via HTTP_PROXY, a CONNECT tunnel (-p), --socks5-hostname",
        async (ctx) => {
          const box = useBox(ctx, runner);
          const url = `http://127.0.0.1:${web.port}`;
          const out = await runScript(
            scratch,
            box,
            allowAll(),
            [
              `echo "plain=$(curl -sS --max-time 5 ${url}/plain-${runner})"`,
              `echo "tunnel=$(curl -sS --max-time 5 -p -x "$HTTPS_PROXY" ${url}/tunnel-${runner})"`,
              `echo "socks=$(curl -sS --max-time 5 --socks5-hostname "\${ALL_PROXY#socks5h://}" ${url}/socks-${runner})"`,
              // What curl did, from its own verbose log: the tunnel was a real CONNECT answered 200.
              `curl -sS -v --max-time 5 -p -x "$HTTPS_PROXY" ${url}/verbose 2>&1 >/dev/null | grep -q "CONNECT 127.0.0.1:${web.port}" && echo connectSeen=1`,
            ].join("\n"),
          );
          const v = values(out);
          expect(out.status, shown(out)).toBe(0);
          expect(v["plain"]).toBe(`hello ${marker} GET /plain-${runner}`);
          // Through a tunnel the server gets an origin-form request; through the plain proxy an origin-form too (the proxy rewrites).
          expect(v["tunnel"]).toBe(`hello ${marker} GET /tunnel-${runner}`);
          expect(v["socks"]).toBe(`hello ${marker} GET /socks-${runner}`);
          expect(v["connectSeen"]).toBe("1");
          expect(web.seen).toEqual(
            expect.arrayContaining([`GET /plain-${runner}`, `GET /tunnel-${runner}`, `GET /socks-${runner}`]),
          );
          expect(out.stderr).not.toMatch(/blocked/);
        },
      );

      it.skipIf(!tools.curl || !tools.ipv6)(
        "IPv6: an allowed [::1]:PORT on the host through the HTTP proxy and through SOCKS5 (address type 4)",
        async (ctx) => {
          const box = useBox(ctx, runner);
          const port = web6!.port;
          const out = await runScript(
            scratch,
            box,
            { network: { allowedDomains: [`[::1]:${port}`] } },
            [
              // ::1 is allowed, so it must have left NO_PROXY (it means the host's ::1, reachable only through the proxy).
              `echo "no_proxy=$NO_PROXY"`,
              `echo "http=$(curl -sS --max-time 5 -g http://[::1]:${port}/v6-http-${runner})"`,
              `${node} ${scratch.client} socks ::1 ${port} x | sed -n 's/^reply=/socks=/p'`,
            ].join("\n"),
          );
          const v = values(out);
          expect(out.status, shown(out)).toBe(0);
          expect(v["no_proxy"]).toBe("localhost,127.0.0.1");
          expect(v["http"]).toBe(`hello ${marker}-v6 GET /v6-http-${runner}`);
          expect(v["socks"]).toBe("0");
          expect(web6!.seen).toContain(`GET /v6-http-${runner}`);
        },
      );

      it.skipIf(!tools.curl)(
        "8 MiB arrive intact through each path (plain HTTP, CONNECT, SOCKS5): same SHA-256 as on the host",
        async (ctx) => {
          const box = useBox(ctx, runner);
          const size = 8 << 20;
          const want = createHash("sha256").update(bulk(size)).digest("hex");
          const url = `http://127.0.0.1:${web.port}/bulk/${size}`;
          const out = await runScript(
            scratch,
            box,
            allowAll(),
            [
              `echo "plain=$(curl -sS --max-time 10 ${url} | sha256sum | cut -d' ' -f1)"`,
              `echo "tunnel=$(curl -sS --max-time 10 -p -x "$HTTPS_PROXY" ${url} | sha256sum | cut -d' ' -f1)"`,
              `echo "socks=$(curl -sS --max-time 10 -x "$ALL_PROXY" ${url} | sha256sum | cut -d' ' -f1)"`,
            ].join("\n"),
          );
          expect(out.status, shown(out)).toBe(0);
          expect(values(out)).toMatchObject({ plain: want, tunnel: want, socks: want });
        },
      );

      it.skipIf(!tools.curl)(
        "two sandboxes at once each get their own bridges on 3128/1080 and both reach the host",
        async (ctx) => {
          const boxes = [useBox(ctx, runner), useBox(ctx, runner)];
          // Both wait inside their sandboxes until both are up, so their bridges really exist at the same time.
          const runs = boxes.map((box, i) =>
            startScript(
              scratch,
              box,
              allowAll(),
              `echo ready; while [ ! -e release ]; do sleep 0.02; done; curl -sS --max-time 5 http://127.0.0.1:${web.port}/twin-${i}-${runner}; curl -sS --max-time 5 -x "$ALL_PROXY" http://127.0.0.1:${web.port}/twin-socks-${i}-${runner}`,
            ),
          );
          await Promise.all(runs.map((r) => printed(r, "ready\n")));
          for (const box of boxes) writeFileSync(join(box.work, "release"), "");
          const outs = await Promise.all(runs.map((r) => r.done));
          outs.forEach((out, i) => {
            expect(out.status, shown(out)).toBe(0);
            expect(out.stdout).toBe(
              `ready\nhello ${marker} GET /twin-${i}-${runner}\nhello ${marker} GET /twin-socks-${i}-${runner}\n`,
            );
          });
        },
      );

      it.skipIf(!tools.nc)(
        "raw bytes: BSD nc through SOCKS5 (-X 5) and through CONNECT (-X connect) to a TCP echo server",
        async (ctx) => {
          const box = useBox(ctx, runner);
          const out = await runScript(
            scratch,
            box,
            allowAll(),
            [
              `echo "socks=$(printf 'nc-socks-${runner}\\nBYE\\n' | timeout 10 nc -X 5 -x 127.0.0.1:1080 127.0.0.1 ${echo.port} | head -1)"`,
              `echo "connect=$(printf 'nc-connect-${runner}\\nBYE\\n' | timeout 10 nc -X connect -x 127.0.0.1:3128 127.0.0.1 ${echo.port} | head -1)"`,
            ].join("\n"),
          );
          const v = values(out);
          expect(out.status, shown(out)).toBe(0);
          expect(v["socks"]).toBe(`nc-socks-${runner}`);
          expect(v["connect"]).toBe(`nc-connect-${runner}`);
          expect(echo.seen).toEqual(expect.arrayContaining([`nc-socks-${runner}`, `nc-connect-${runner}`]));
        },
      );

      it("a Node client: http.request to the proxy, a raw CONNECT tunnel, a raw SOCKS5 CONNECT", async (ctx) => {
        const box = useBox(ctx, runner);
        const c = `${node} ${scratch.client}`;
        const out = await runScript(
          scratch,
          box,
          allowAll(),
          [
            `${c} get http://127.0.0.1:${web.port}/node-${runner} | sed 's/^/get./'`,
            `${c} connect 127.0.0.1:${echo.port} node-tunnel-${runner} | sed 's/^/connect./'`,
            `${c} socks 127.0.0.1 ${echo.port} node-socks-${runner} | sed 's/^/socks./'`,
          ].join("\n"),
        );
        const v = values(out);
        expect(out.status, shown(out)).toBe(0);
        expect(v, shown(out)).toMatchObject({
          "get.status": "200",
          "get.body": `hello ${marker} GET /node-${runner}`,
          "connect.status": "200",
          "connect.echo": `node-tunnel-${runner}`,
          "socks.method": "0",
          "socks.reply": "0",
          "socks.echo": `node-socks-${runner}`,
        });
        expect(echo.seen).toEqual(expect.arrayContaining([`node-tunnel-${runner}`, `node-socks-${runner}`]));
      });

      it.skipIf(!tools.git)("git ls-remote over http to a dumb HTTP repository on the host", async (ctx) => {
        const box = useBox(ctx, runner);
        const before = git!.seen.length;
        const out = await runScript(
          scratch,
          box,
          allowAll(),
          `GIT_TERMINAL_PROMPT=0 timeout 15 git ls-remote http://127.0.0.1:${git!.port}/repo.git`,
        );
        expect(out.status, shown(out)).toBe(0);
        expect(out.stdout).toContain(`${head}\tHEAD`);
        expect(out.stdout).toContain(`${head}\trefs/heads/main`);
        expect(git!.seen.slice(before)).toContain("/repo.git/info/refs");
      });

      it.skipIf(!tools.nc)(
        "ssh-style tunnelling: GIT_SSH_COMMAND's ProxyCommand (with %h %p filled in) carries bytes to a TCP server",
        async (ctx) => {
          const box = useBox(ctx, runner);
          const out = await runScript(
            scratch,
            box,
            allowAll(),
            [
              // Exactly what ssh would run: the ProxyCommand from GIT_SSH_COMMAND, tokens substituted, via sh -c.
              `pc=$(printf '%s' "$GIT_SSH_COMMAND" | sed -n "s/^ssh -o ProxyCommand='\\(.*\\)'$/\\1/p" | sed "s/%h/127.0.0.1/; s/%p/${echo.port}/")`,
              `echo "proxycommand=$pc"`,
              `echo "banner=$(printf 'SSH-2.0-srt-${runner}\\r\\nBYE\\n' | timeout 10 sh -c "exec $pc" | head -1 | tr -d '\\r')"`,
            ].join("\n"),
          );
          const v = values(out);
          expect(out.status, shown(out)).toBe(0);
          expect(v["proxycommand"]).toBe(`nc -X 5 -x 127.0.0.1:1080 127.0.0.1 ${echo.port}`);
          expect(v["banner"]).toBe(`SSH-2.0-srt-${runner}`);
          expect(echo.seen).toContain(`SSH-2.0-srt-${runner}`);
        },
      );
    });
  });
});
