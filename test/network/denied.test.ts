/**
 * Refused traffic: inside the real sandbox a denied or unlisted target gets
 * HTTP 403 (CONNECT and plain) or SOCKS reply 0x02, the target server never
 * sees a connection, each refusal is a JSON line in `--violations F` (host,
 * port, reason, rule origin), srt prints the one-line summary at exit (not
 * with -q), and `ignoreViolations` trims the summary but never the refusal.
 */
import { spawnSync } from "node:child_process";
import net from "node:net";
import { hostname } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lacking, unavailable } from "../support/requirements.js";
import { boxesUnder, engines, missingTestUser, runnersFor } from "../linux/support.js";
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
import { startEchoServer, startHttpServer, type TestServer } from "./servers.js";

const node = process.execPath;
const summaryRe = /^srt: blocked (\d+) network requests?: (.*)$/m;

/**
 * A name other than `localhost` that the system resolver maps to 127.0.0.1 only (this machine's
 * own name, as Debian's /etc/hosts and nss-myhostname do, or a common alias), looked up as the
 * proxy will: the guard's subject. The server listens on 127.0.0.1.
 */
const loopbackAlias = ((): { name: string; address: string } | undefined => {
  for (const name of [hostname(), "localhost.localdomain", "ip6-localhost", "ip6-loopback"]) {
    if (!/^[a-z0-9.-]+$/i.test(name) || name.toLowerCase() === "localhost") continue;
    const r = spawnSync("getent", ["ahostsv4", name], { encoding: "utf8" });
    const addresses = [
      ...new Set(
        (r.stdout ?? "")
          .split("\n")
          .map((l) => l.split(/\s+/)[0])
          .filter(Boolean),
      ),
    ];
    if (r.status === 0 && addresses.length > 0 && addresses.every((a) => a === "127.0.0.1"))
      return { name: name.toLowerCase(), address: "127.0.0.1" };
  }
  return undefined;
})();
const noAliasReason = "no name but localhost resolves to 127.0.0.1 here (the machine's hostname usually does)";

describe.skipIf(lacking(!networkSupported, networkSkipReason))("refused network traffic through the sandbox", () => {
  if (missingTestUser) unavailable("as srt-test: user srt-test does not exist (useradd -m srt-test)");
  for (const why of missingTools) unavailable(why);
  let scratch: Scratch;
  let web: TestServer;
  let echo: TestServer;
  /** Listening on the host, never allowed: if anything let a request through, it would show up here. */
  let other: TestServer;
  const policy = (extra: Record<string, unknown> = {}): unknown => ({
    network: {
      allowedDomains: [`127.0.0.1:${web.port}`, `127.0.0.1:${echo.port}`, "*.srt.test"],
      deniedDomains: ["evil.srt.test"],
    },
    ...extra,
  });

  beforeAll(async () => {
    scratch = makeScratch();
    web = await startHttpServer("web");
    echo = await startEchoServer();
    other = await startHttpServer("other");
  });
  afterAll(async () => {
    expect(other.seen, "the never-allowed server was reached").toEqual([]);
    await Promise.all([web?.close(), echo?.close(), other?.close()]);
    scratch?.remove();
  });

  describe.each(engines)("under %s", (engine) => {
    const useBox = boxesUnder(engine);
    describe.each(runnersFor(engine))("as %s", (runner) => {
      it.skipIf(!tools.curl)(
        "403 for plain HTTP and CONNECT, 0x02 for SOCKS; a violation line each and the summary at exit",
        async (ctx) => {
          const box = useBox(ctx, runner);
          const c = `${node} ${scratch.client}`;
          const out = await runScript(
            scratch,
            box,
            policy(),
            [
              // A port of an allowed address that is not itself allowed.
              `x=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' http://127.0.0.1:${other.port}/plain); echo "plain=$x:$?"`,
              `x=$(curl -s --max-time 5 -p -x "$HTTPS_PROXY" -o /dev/null -w '%{http_connect}' http://127.0.0.1:${other.port}/tunnel); echo "connect=$x:$?"`,
              `curl -s --max-time 5 -D - -o /dev/null http://evil.srt.test/ | tr -d '\\r' | sed -n 's/^X-Srt-Refused: /refusedBy=/Ip'`,
              `curl -s --max-time 5 --socks5-hostname 127.0.0.1:1080 http://127.0.0.1:${other.port}/socks; echo "curlSocks=$?"`,
              `${c} socks evil.srt.test 80 x | sed 's/^/socks./'`,
              `${c} get http://nowhere.test/ | sed 's/^/get./'`,
              "exit 0",
            ].join("\n"),
            { flags: ["--violations", violationsPath(box)] },
          );
          const v = values(out);
          expect(out.status, shown(out)).toBe(0);
          expect(v["plain"]).toBe("403:0");
          // curl exits 56 when the proxy refuses the CONNECT.
          expect(v["connect"]).toBe("403:56");
          expect(v["refusedBy"]).toBe('evil.srt.test:80 is denied by "evil.srt.test" (/network/deniedDomains/0)');
          // 97: "proxy handshake error"; the SOCKS reply code was 2 (connection not allowed by ruleset).
          expect(v["curlSocks"]).toBe("97");
          expect(v["socks.method"]).toBe("0");
          expect(v["socks.reply"]).toBe("2");
          expect(v["get.status"]).toBe("403");
          expect(v["get.refusedBy"]).toBe("nowhere.test:80 is not in allowedDomains");

          const events = readViolations(box);
          expect(events.map((e) => `${String(e["proxy"])} ${String(e["host"])}:${String(e["port"])}`)).toEqual([
            `http 127.0.0.1:${other.port}`,
            `http 127.0.0.1:${other.port}`,
            "http evil.srt.test:80",
            `socks 127.0.0.1:${other.port}`,
            "socks evil.srt.test:80",
            "http nowhere.test:80",
          ]);
          for (const e of events) {
            expect(e).toMatchObject({
              kind: "network",
              time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
              reason: expect.any(String),
            });
            expect(String(e["reason"])).toContain(String(e["host"]));
          }
          expect(events[2]).toMatchObject({
            rule: "/network/deniedDomains/0",
            reason: 'evil.srt.test:80 is denied by "evil.srt.test" (/network/deniedDomains/0)',
          });
          expect(events[0]).toMatchObject({ reason: `127.0.0.1:${other.port} is not in allowedDomains` });
          expect(events[0]).not.toHaveProperty("rule"); // default deny: no rule decided it

          const summary = summaryRe.exec(out.stderr);
          expect(summary, shown(out)).not.toBeNull();
          expect(Number(summary![1])).toBe(events.length);
          expect(summary![2]).toContain(`127.0.0.1:${other.port} ×3 (is not in allowedDomains)`);
        },
      );

      it.skipIf(!tools.nc)("BSD nc through SOCKS5 to a port that is not allowed gets nothing through", async (ctx) => {
        const box = useBox(ctx, runner);
        const out = await runScript(
          scratch,
          box,
          policy(),
          `got=$(printf 'should-not-arrive\\nBYE\\n' | timeout 10 nc -X 5 -x 127.0.0.1:1080 127.0.0.1 ${other.port} 2>/dev/null); echo "nc=$?"; echo "got=$got"`,
        );
        const v = values(out);
        expect(out.status, shown(out)).toBe(0);
        expect(v["nc"]).toBe("1");
        expect(v["got"]).toBe("");
        expect(out.stderr).toMatch(
          new RegExp(`^srt: blocked 1 network request: 127\\.0\\.0\\.1:${other.port} \\(`, "m"),
        );
      });

      it.skipIf(!tools.curl || !tools.nc)(
        "one kept-alive proxy connection: every request is checked, not just the first (curl reuse, pipelined raw requests)",
        async (ctx) => {
          const box = useBox(ctx, runner);
          const allowedUrl = `http://127.0.0.1:${web.port}`;
          const otherUrl = `http://127.0.0.1:${other.port}`;
          const pipelined = [
            `GET ${allowedUrl}/pipe-1-${runner} HTTP/1.1\\r\\nHost: 127.0.0.1:${web.port}\\r\\n\\r\\n`,
            `GET ${otherUrl}/pipe-2 HTTP/1.1\\r\\nHost: 127.0.0.1:${other.port}\\r\\n\\r\\n`,
            // Origin-form after an allowed request: must not be sent to the previous upstream.
            `GET /pipe-3 HTTP/1.1\\r\\nHost: 127.0.0.1:${other.port}\\r\\nConnection: close\\r\\n\\r\\n`,
          ].join("");
          const out = await runScript(
            scratch,
            box,
            policy(),
            [
              `curl -s --max-time 5 -w 'code=%{http_code}\\n' -o /dev/null ${allowedUrl}/reuse-1-${runner} -o /dev/null ${otherUrl}/reuse-2 | tr '\\n' ' ' | sed 's/^/codes=/'; echo`,
              `printf '${pipelined}' | timeout 5 nc 127.0.0.1 3128 | tr -d '\\r' | grep '^HTTP/1.1' | cut -d' ' -f2 | tr '\\n' ' ' | sed 's/^/pipelined=/'; echo`,
            ].join("\n"),
            { flags: ["--violations", violationsPath(box)] },
          );
          const v = values(out);
          expect(out.status, shown(out)).toBe(0);
          expect(v["codes"]).toBe("code=200 code=403 ");
          expect(v["pipelined"]).toBe("200 403 400 ");
          expect(web.seen).toEqual(expect.arrayContaining([`GET /reuse-1-${runner}`, `GET /pipe-1-${runner}`]));
          expect(web.seen.filter((l) => l.includes("pipe-3") || l.includes("reuse-2"))).toEqual([]);
          expect(readViolations(box).map((e) => `${String(e["host"])}:${String(e["port"])}`)).toEqual([
            `127.0.0.1:${other.port}`,
            `127.0.0.1:${other.port}`,
          ]);
        },
      );

      it.skipIf(!tools.curl)(
        "an allowed target that is down is an error (502, SOCKS 0x05), not a policy refusal: no violation, no summary",
        async (ctx) => {
          const box = useBox(ctx, runner);
          // A port that was just free on the host's loopback: nothing listens there.
          const probe = net.createServer();
          await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
          const down = (probe.address() as net.AddressInfo).port;
          await new Promise((resolve) => probe.close(resolve));
          const out = await runScript(
            scratch,
            box,
            { network: { allowedDomains: [`127.0.0.1:${down}`] } },
            [
              `curl -s --max-time 5 -o /dev/null -w 'plain=%{http_code}\\n' http://127.0.0.1:${down}/`,
              `${node} ${scratch.client} socks 127.0.0.1 ${down} x | sed 's/^/socks./'`,
            ].join("\n"),
            { flags: ["--violations", violationsPath(box)] },
          );
          const v = values(out);
          expect(out.status, shown(out)).toBe(0);
          expect(v["plain"]).toBe("502");
          expect(v["socks.reply"]).toBe("5");
          expect(readViolations(box)).toEqual([]);
          expect(out.stderr).not.toMatch(/srt: blocked/);
        },
      );

      it.skipIf(!tools.curl)(
        "the legacy permission dialect: a WebFetch deny refuses, and the violation names its /permissions/deny pointer",
        async (ctx) => {
          const box = useBox(ctx, runner);
          const legacy = {
            permissions: { allow: ["WebFetch(domain:*.srt.test)"], deny: ["WebFetch(domain:evil.srt.test)"] },
          };
          const out = await runScript(
            scratch,
            box,
            legacy,
            `curl -s --max-time 5 -o /dev/null -w 'code=%{http_code}\\n' http://evil.srt.test/`,
            { flags: ["--violations", violationsPath(box)] },
          );
          expect(out.status, shown(out)).toBe(0);
          expect(values(out)["code"]).toBe("403");
          expect(readViolations(box)).toMatchObject([{ host: "evil.srt.test", port: 80, rule: "/permissions/deny/0" }]);
        },
      );

      it.skipIf(!tools.curl)(
        "-q: the refusal stands, the summary is not printed, the violations file is still written",
        async (ctx) => {
          const box = useBox(ctx, runner);
          const out = await runScript(
            scratch,
            box,
            policy(),
            `curl -s --max-time 5 -o /dev/null -w 'code=%{http_code}\\n' http://evil.srt.test/`,
            {
              flags: ["-q", "--violations", violationsPath(box)],
            },
          );
          expect(out.status, shown(out)).toBe(0);
          expect(values(out)["code"]).toBe("403");
          expect(out.stderr).not.toMatch(/srt: blocked/);
          expect(readViolations(box).map((e) => e["host"])).toEqual(["evil.srt.test"]);
        },
      );

      it.skipIf(!tools.curl)(
        "ignoreViolations hides matching refusals from the summary, never from enforcement or the audit file",
        async (ctx) => {
          const box = useBox(ctx, runner);
          const script = [
            `curl -s --max-time 5 -o /dev/null -w 'evil=%{http_code}\\n' http://evil.srt.test/`,
            `curl -s --max-time 5 -o /dev/null -w 'other=%{http_code}\\n' http://127.0.0.1:${other.port}/`,
          ].join("\n");
          const some = await runScript(scratch, box, policy({ ignoreViolations: { "*": ["evil.srt.test"] } }), script, {
            flags: ["--violations", violationsPath(box)],
          });
          expect(some.status, shown(some)).toBe(0);
          expect(values(some)).toMatchObject({ evil: "403", other: "403" });
          expect(some.stderr).toMatch(
            new RegExp(`^srt: blocked 1 network request: 127\\.0\\.0\\.1:${other.port} \\(`, "m"),
          );
          expect(some.stderr).not.toContain("evil.srt.test");
          expect(readViolations(box).map((e) => e["host"])).toEqual(["evil.srt.test", "127.0.0.1"]);

          // Ignoring everything for this command (matched by a word of its command line): no summary at all.
          const all = await runScript(scratch, box, policy({ ignoreViolations: { curl: ["*"] } }), script);
          expect(values(all)).toMatchObject({ evil: "403", other: "403" });
          expect(all.stderr).not.toMatch(/srt: blocked/);
        },
      );

      // `localhost` itself is the host's loopback when allowed (test/network/reference-settings.test.ts);
      // the guard is for every other name, such as this machine's own name or /etc/hosts aliases.
      it.skipIf(!tools.curl || lacking(loopbackAlias === undefined, noAliasReason))(
        "resolved-address guard: an allowed name (not localhost) that resolves to loopback is refused unless the address is allowed too",
        async (ctx) => {
          const box = useBox(ctx, runner);
          const alias = loopbackAlias!;
          const script = `curl -s --max-time 5 -w '\\ncode=%{http_code}\\n' --noproxy '' -x "$HTTP_PROXY" http://${alias.name}:${web.port}/guard-${engine}-${runner}`;
          const nameOnly = await runScript(
            scratch,
            box,
            { network: { allowedDomains: [`${alias.name}:${web.port}`] } },
            script,
          );
          expect(values(nameOnly)["code"], shown(nameOnly)).toBe("403");
          expect(nameOnly.stderr).toMatch(
            new RegExp(
              `srt: blocked 1 network request: ${alias.name.replace(/[.]/g, "\\.")}:${web.port} \\(.*loopback`,
            ),
          );
          expect(web.seen).not.toContain(`GET /guard-${engine}-${runner}`);

          const both = await runScript(
            scratch,
            box,
            { network: { allowedDomains: [`${alias.name}:${web.port}`, `${alias.address}:${web.port}`] } },
            script,
          );
          expect(values(both)["code"], shown(both)).toBe("200");
          expect(both.stdout).toContain(`hello web GET /guard-${engine}-${runner}`);
          expect(both.stderr).not.toMatch(/srt: blocked/);
        },
      );
    });
  });
});
