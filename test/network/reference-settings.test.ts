/**
 * Settings written for the reference tool (@anthropic-ai/sandbox-runtime) mean
 * the same in srt, end to end through the real sandbox and srt's proxies:
 * an allowed `localhost:PORT` is the host's loopback (and nothing else is),
 * `*:22` denies a port on every host, a deniedDomainReasons entry reaches the
 * client and the violation, and git.safeDirectories reaches git.
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
import { startHttpServer, type TestServer } from "./servers.js";

const marker = `ref${process.pid}`;

describe.skipIf(lacking(!networkSupported, networkSkipReason))("reference-tool network settings", () => {
  if (missingTestUser) unavailable("as srt-test: user srt-test does not exist (useradd -m srt-test)");
  for (const why of missingTools) unavailable(why);
  let scratch: Scratch;
  let web: TestServer;

  beforeAll(async () => {
    scratch = makeScratch();
    web = await startHttpServer(marker);
  });
  afterAll(async () => {
    await web?.close();
    scratch?.remove();
  });

  describe.each(runners)("as %s", (runner) => {
    it.skipIf(!tools.curl)(
      "an allowed localhost:PORT reaches the host's loopback through both proxies; 127.0.0.1 itself stays unlisted",
      async (ctx) => {
        const box = useBox(ctx, runner);
        const out = await runScript(
          scratch,
          box,
          { network: { allowedDomains: [`localhost:${web.port}`] } },
          [
            `echo "http=$(curl -sS --max-time 5 http://localhost:${web.port}/lh-${runner})"`,
            `echo "socks=$(curl -sS --max-time 5 --socks5-hostname "\${ALL_PROXY#socks5h://}" http://localhost:${web.port}/lhs-${runner})"`,
            // The same server by address, sent to the proxy (NO_PROXY keeps 127.0.0.1 on the sandbox's own lo):
            // not what the policy lists, so refused.
            `echo "byaddr=$(curl -s -o /dev/null -w '%{http_code}' --noproxy '' -x "$HTTP_PROXY" --max-time 5 http://127.0.0.1:${web.port}/addr-${runner})"`,
          ].join("\n"),
          { flags: ["--violations", violationsPath(box)] },
        );
        const v = values(out);
        expect(v["http"], shown(out)).toBe(`hello ${marker} GET /lh-${runner}`);
        expect(v["socks"], shown(out)).toBe(`hello ${marker} GET /lhs-${runner}`);
        expect(v["byaddr"], shown(out)).toBe("403");
        expect(web.seen).not.toContain(`GET /addr-${runner}`);
        expect(readViolations(box).map((x) => x["host"])).toEqual(["127.0.0.1"]);
      },
    );

    it.skipIf(!tools.curl)(
      'deniedDomains "*:22" refuses port 22 on every host, other ports stay allowed; the entry\'s reason reaches the 403 and the violation',
      async (ctx) => {
        const box = useBox(ctx, runner);
        const reason = "SSH is blocked here; use an https remote";
        const out = await runScript(
          scratch,
          box,
          {
            network: {
              allowedDomains: ["127.0.0.1", "localhost"],
              deniedDomains: ["*:22"],
              deniedDomainReasons: { "*:22": reason },
            },
          },
          [
            `curl -sS -v --max-time 5 -p -x "$HTTPS_PROXY" http://127.0.0.1:22/ 2>&1 | grep -m1 '< HTTP/' | tr -d '\\r' | sed 's/^< /status=/'`,
            `curl -s -o /dev/null --max-time 5 --socks5-hostname "\${ALL_PROXY#socks5h://}" http://localhost:22/; echo "socks=$?"`,
            `echo "other=$(curl -sS --max-time 5 http://127.0.0.1:${web.port}/other-${runner})"`,
          ].join("\n"),
          { flags: ["--violations", violationsPath(box)] },
        );
        const v = values(out);
        expect(v["status"], shown(out)).toMatch(/^HTTP\/1\.1 403 .*SSH is blocked here; use an https remote/);
        // curl's exit status 97: the SOCKS5 proxy refused the connection.
        expect(v["socks"], shown(out)).toBe("97");
        expect(v["other"], shown(out)).toBe(`hello ${marker} GET /other-${runner}`);
        const seen = readViolations(box);
        expect(seen.map((x) => [x["proxy"], x["host"], x["port"], x["rule"]])).toEqual([
          ["http", "127.0.0.1", 22, "/network/deniedDomains/0"],
          ["socks", "localhost", 22, "/network/deniedDomains/0"],
        ]);
        for (const x of seen) expect(x["reason"]).toContain(reason);
      },
    );
  });
});
