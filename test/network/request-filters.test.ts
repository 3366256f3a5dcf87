/**
 * The request filters end to end: curl and a raw client in the real sandbox
 * reach a recording server on the host's loopback through srt's proxy, as
 * root and as srt-test. The server records every request it received, so a
 * refusal is checked where it matters: nothing arrived. Each refusal is in
 * the violations file, naming the key that refused it. The library's
 * filterRequest hook is driven through createSandbox in the same way.
 */
import http from "node:http";
import type net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lacking, unavailable } from "../support/requirements.js";
import { missingTestUser, runners, useBox } from "../linux/support.js";
import {
  makeScratch,
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
import { createSandbox, type FilterRequestCallback, type Sandbox } from "../../src/index.js";
import { collect } from "../api/support.js";
import { makeTestCa, startHttpsServer, type HttpsServer, type TestCa } from "./tls-servers.js";

interface Seen {
  readonly url: string;
  readonly headers: string[];
  readonly body: string;
}
async function recordingServer(): Promise<{ port: number; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on("data", (c: Buffer) => parts.push(c));
    req.on("end", () => {
      seen.push({ url: req.url ?? "", headers: req.rawHeaders, body: Buffer.concat(parts).toString() });
      res.writeHead(200, { "Set-Cookie": "session=abc", "X-Kept": "yes" });
      res.end(`ok ${req.url}\n`);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as net.AddressInfo).port,
    seen,
    close: () => new Promise((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

describe.skipIf(lacking(!networkSupported, networkSkipReason))("request filters through a real sandbox", () => {
  if (missingTestUser) unavailable("as srt-test: user srt-test does not exist (useradd -m srt-test)");
  if (!tools.curl) unavailable("curl is missing (apt-get install curl): its cases are skipped");
  let scratch: Scratch;
  let web: Awaited<ReturnType<typeof recordingServer>>;
  let ca: TestCa;
  let secure: HttpsServer;
  beforeAll(async () => {
    scratch = makeScratch();
    web = await recordingServer();
    ca = makeTestCa(scratch.dir);
    secure = await startHttpsServer(ca, "127.0.0.1");
  });
  afterAll(async () => {
    await web?.close();
    await secure?.close();
    scratch?.remove();
  });
  const base = (): string => `http://127.0.0.1:${web.port}`;

  describe.each(runners)("as %s", (runner) => {
    it("requireHostMatch, ambiguousRequestTarget and stripResponseHeaders: refusals reach nothing", async (ctx) => {
      const box = useBox(ctx, runner, {});
      const before = web.seen.length;
      const out = await runScript(
        scratch,
        box,
        {
          network: {
            allowedDomains: [`127.0.0.1:${web.port}`],
            requireHostMatch: true,
            ambiguousRequestTarget: "refuse",
            stripResponseHeaders: ["set_cookie"],
          },
        },
        [
          `curl -sS --max-time 8 -o /dev/null -w "spoof=%{http_code}\\n" -H "Host: metadata.internal" ${base()}/spoof-${runner}`,
          `curl -sS --max-time 8 --path-as-is -o /dev/null -w "dots=%{http_code}\\n" ${base()}/public/../admin-${runner}`,
          `curl -sS --max-time 8 -D - -o /dev/null ${base()}/fine-${runner} | tr -d '\\r' | grep -i -c '^set-cookie' | sed 's/^/cookies=/'`,
          `curl -sS --max-time 8 -D - -o /dev/null ${base()}/fine-${runner} | tr -d '\\r' | grep -i '^x-kept' | sed 's/^[^:]*: /kept=/'`,
        ].join("\n"),
        { flags: ["--violations", violationsPath(box)] },
      );
      const v = values(out);
      expect(out.status, shown(out)).toBe(0);
      expect(v["spoof"]).toBe("421");
      expect(v["dots"]).toBe("400");
      expect(v["cookies"]).toBe("0");
      expect(v["kept"]).toBe("yes");
      const urls = web.seen.slice(before).map((s) => s.url);
      expect(urls).toEqual([`/fine-${runner}`, `/fine-${runner}`]);
      const rules = readViolations(box).map((x) => x["rule"]);
      expect(rules).toEqual(["/network/requireHostMatch", "/network/ambiguousRequestTarget"]);
    });

    it("a GET's chunked body reaches the server framed: a request inside it is body, never a request", async (ctx) => {
      const box = useBox(ctx, runner, {});
      const before = web.seen.length;
      const inner = `GET /smuggled-${runner} HTTP/1.1\r\nHost: metadata.internal\r\n\r\n`;
      const out = await runScript(
        scratch,
        box,
        { network: { allowedDomains: [`127.0.0.1:${web.port}`], requireHostMatch: true } },
        [
          `printf '${inner.replace(/\r\n/g, "\\r\\n")}' > "$TMPDIR/inner"`,
          `curl -sS --max-time 8 -o /dev/null -w "carrier=%{http_code}\\n" -X GET -H "Transfer-Encoding: chunked" --data-binary @"$TMPDIR/inner" ${base()}/carrier-${runner}`,
        ].join("\n"),
      );
      expect(out.status, shown(out)).toBe(0);
      expect(values(out)["carrier"]).toBe("200");
      // Had the body gone unframed, the server would have read /smuggled (with a Host requireHostMatch refuses) as a request.
      expect(web.seen.slice(before).map((x) => [x.url, x.body])).toEqual([[`/carrier-${runner}`, inner]]);
    });

    it("refuseOpaqueTunnels: a CONNECT and a SOCKS connection are refused and recorded", async (ctx) => {
      const box = useBox(ctx, runner, {});
      const before = web.seen.length;
      const out = await runScript(
        scratch,
        box,
        { network: { allowedDomains: [`127.0.0.1:${web.port}`], refuseOpaqueTunnels: true } },
        [
          `curl -sS --max-time 8 -p -o /dev/null -w "tunnel=%{http_connect}\\n" ${base()}/tunnel-${runner} 2>/dev/null; true`,
          `curl -sS --max-time 8 -o /dev/null --proxy "$ALL_PROXY" ${base()}/socks-${runner} 2>/dev/null; echo "socks=$?"`,
          `curl -sS --max-time 8 -o /dev/null -w "plain=%{http_code}\\n" ${base()}/plain-${runner}`,
        ].join("\n"),
        { flags: ["--violations", violationsPath(box)] },
      );
      const v = values(out);
      expect(out.status, shown(out)).toBe(0);
      expect(v["tunnel"]).toBe("403");
      expect(v["socks"]).not.toBe("0");
      expect(v["plain"]).toBe("200");
      expect(web.seen.slice(before).map((s) => s.url)).toEqual([`/plain-${runner}`]);
      const refusals = readViolations(box);
      expect(refusals.map((x) => [x["proxy"], x["rule"]])).toEqual([
        ["http", "/network/refuseOpaqueTunnels"],
        ["socks", "/network/refuseOpaqueTunnels"],
      ]);
    });
  });

  describe.each(runners)("inside TLS-terminated tunnels, as %s", (runner) => {
    it("requireHostMatch answers 421 there; a CONNECT that carries no TLS is closed and recorded", async (ctx) => {
      const box = useBox(ctx, runner, {});
      const before = secure.seen.length;
      const url = `https://127.0.0.1:${secure.port}`;
      const out = await runScript(
        scratch,
        box,
        {
          network: {
            allowedDomains: [`127.0.0.1:${secure.port}`],
            tlsTerminate: { extraCaCertPaths: [ca.certPath] },
            requireHostMatch: true,
            refuseOpaqueTunnels: true,
          },
        },
        [
          `curl -sS --max-time 8 -o /dev/null -w "ok=%{http_code}\\n" ${url}/ok-${runner}`,
          `curl -sS --max-time 8 -o /dev/null -w "spoof=%{http_code}\\n" -H "Host: metadata.internal" ${url}/spoof-${runner}`,
          // Plain HTTP inside a CONNECT: the first bytes are not TLS.
          `curl -sS --max-time 8 -p -o /dev/null http://127.0.0.1:${secure.port}/plain-${runner} 2>/dev/null; echo "plainInTunnel=$?"`,
        ].join("\n"),
        { flags: ["--violations", violationsPath(box)] },
      );
      const v = values(out);
      expect(out.status, shown(out)).toBe(0);
      expect(v["ok"]).toBe("200");
      expect(v["spoof"]).toBe("421");
      expect(v["plainInTunnel"]).not.toBe("0");
      expect(secure.seen.slice(before).map((s) => s.url)).toEqual([`/ok-${runner}`]);
      expect(readViolations(box).map((x) => x["rule"])).toEqual([
        "/network/requireHostMatch",
        "/network/refuseOpaqueTunnels",
      ]);
    });
  });

  describe("the library's filterRequest", () => {
    const open: Sandbox[] = [];
    afterAll(async () => {
      await Promise.all(open.map((s) => s.close()));
    });
    it("denies and edits requests a sandboxed curl sends; a throwing hook denies", async () => {
      const asked: string[] = [];
      const filterRequest: FilterRequestCallback = async (request, info) => {
        asked.push(`${request.method} ${info.requestTarget}`);
        const path = new URL(request.url).pathname;
        if (path === "/throw") throw new Error("policy bug");
        if (path.startsWith("/admin")) return { action: "deny", reason: "admin is off limits" };
        return { action: "allow", removeHeaders: ["x-api-key"] };
      };
      const s = await createSandbox(
        { network: { allowedDomains: [`127.0.0.1:${web.port}`] } },
        { filterRequest, cwd: scratch.dir },
      );
      open.push(s);
      const before = web.seen.length;
      const curl = (path: string, extra = ""): string =>
        `curl -sS --max-time 8 -o /dev/null -w '${path}=%{http_code}\\n' ${extra} http://127.0.0.1:${web.port}${path}`;
      const r = await collect(
        s.spawn("/bin/sh", [
          "-c",
          [curl("/admin/users"), curl("/throw"), curl("/open", "-H 'X-Api-Key: k' -H 'X-Other: o'")].join("; "),
        ]),
      );
      expect(r.stdout).toBe("/admin/users=403\n/throw=403\n/open=200\n");
      const seen = web.seen.slice(before);
      expect(seen.map((x) => x.url)).toEqual(["/open"]);
      const names = seen[0]!.headers.map((h) => h.toLowerCase());
      expect(names).not.toContain("x-api-key");
      expect(names).toContain("x-other");
      expect(asked).toEqual(["GET /admin/users", "GET /throw", "GET /open"]);
    });

    it("unshownBody tells the hook about a GET body its Request could not hold", async () => {
      const told: string[] = [];
      const filterRequest: FilterRequestCallback = async (request, info) => {
        const unshown = info.unshownBody === undefined ? "unset" : String(await info.unshownBody());
        told.push(`${new URL(request.url).pathname} ${unshown}`);
        return unshown === "true" ? { action: "deny", reason: "a body the hook was not shown" } : { action: "allow" };
      };
      const s = await createSandbox(
        { network: { allowedDomains: [`127.0.0.1:${web.port}`] } },
        { filterRequest, cwd: scratch.dir },
      );
      open.push(s);
      const curl = (path: string, extra = ""): string =>
        `curl -sS --max-time 8 -o /dev/null -w '${path}=%{http_code}\\n' ${extra} http://127.0.0.1:${web.port}${path}`;
      const r = await collect(
        s.spawn("/bin/sh", [
          "-c",
          [
            curl("/plain"),
            curl("/sized", "-X GET --data-binary hello"),
            curl("/chunked", "-X GET -H 'Transfer-Encoding: chunked' --data-binary hello"),
          ].join("; "),
        ]),
      );
      expect(r.stdout).toBe("/plain=200\n/sized=403\n/chunked=403\n");
      expect(told).toEqual(["/plain unset", "/sized true", "/chunked true"]);
    });
  });
});
