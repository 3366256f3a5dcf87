/**
 * network.tlsTerminate and masked credentials, end to end: real clients in
 * the real sandbox (curl, Python, Node, git) reach HTTPS servers on the
 * host's loopback through srt's terminating proxy, trusting srt's per-run CA
 * only through the variables srt sets; a masked token reaches its inject host
 * and no other; the command sees only sentinels; no secret shows up in
 * anything srt prints or writes.
 *
 * Two servers: 127.0.0.1 (the inject host) and 127.0.0.2 (allowed, but not an
 * inject host), both signed by a test CA made with openssl and given to srt as
 * extraCaCertPaths.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lacking, unavailable } from "../support/requirements.js";
import { type Box, boxesUnder, engines, missingTestUser, runnersFor, srt } from "../linux/support.js";
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
import { startEchoServer, type TestServer } from "./servers.js";
import { makeTestCa, startHttpsServer, type HttpsServer, type TestCa } from "./tls-servers.js";

const secret = `s3cr3t-${process.pid}-Zq9`;
const fileSecret = `f1le-${process.pid}-Xw7`;
const dbSecret = `db-${process.pid}-Pw4`;
const jwtSecret = `jwt-${process.pid}-Kq2`;
const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString("base64url");
const jwt = `${b64({ alg: "HS256", typ: "JWT" })}.${b64({ sub: "user-7", key: jwtSecret })}.c2ln`;

describe.skipIf(lacking(!networkSupported, networkSkipReason))("TLS termination and masked credentials", () => {
  if (missingTestUser) unavailable("as srt-test: user srt-test does not exist (useradd -m srt-test)");
  if (!tools.curl) unavailable("curl is missing (apt-get install curl): its cases are skipped");
  let scratch: Scratch;
  let ca: TestCa;
  let inject: HttpsServer;
  let other: HttpsServer;
  let client: string;
  let echo: TestServer;
  /** Signed by a CA srt was not told about. */
  let rogue: HttpsServer;
  let plain: HttpsServer;

  beforeAll(async () => {
    scratch = makeScratch();
    ca = makeTestCa(scratch.dir);
    inject = await startHttpsServer(ca, "127.0.0.1");
    other = await startHttpsServer(ca, "127.0.0.2");
    echo = await startEchoServer();
    plain = await startHttpsServer(undefined, "127.0.0.1");
    rogue = await startHttpsServer(makeTestCa(scratch.dir, "rogue CA"), "127.0.0.3");
    client = join(scratch.dir, "tls-client.mjs");
    copyFileSync(new URL("./tls-client.mjs", import.meta.url), client);
  });
  afterAll(async () => {
    await Promise.all([inject?.close(), other?.close(), echo?.close(), rogue?.close(), plain?.close()]);
    scratch?.remove();
  });

  const settings = (box: Box, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    network: {
      allowedDomains: [`127.0.0.1:${inject.port}`, `127.0.0.2:${other.port}`],
      tlsTerminate: { extraCaCertPaths: [ca.certPath] },
    },
    credentials: {
      envVars: [
        { name: "API_TOKEN", mode: "mask", injectHosts: [`127.0.0.1:${inject.port}`] },
        { name: "DATABASE_URL", mode: "mask", extract: "//[^:]+:([^@]+)@", injectHosts: [`127.0.0.1:${inject.port}`] },
        { name: "DENIED_TOKEN", mode: "deny" },
        {
          name: "ID_TOKEN",
          mode: "mask",
          decode: "jwt",
          maskClaims: ["key"],
          injectHosts: [`127.0.0.1:${inject.port}`],
        },
      ],
      files: [{ path: box.at("home/.token"), mode: "mask", injectHosts: [`127.0.0.1:${inject.port}`] }],
    },
    ...extra,
  });
  const secrets = {
    API_TOKEN: secret,
    DATABASE_URL: `postgres://app:${dbSecret}@db.example/app`,
    DENIED_TOKEN: `denied-${secret}`,
    ID_TOKEN: jwt,
  };
  const noSecretIn = (text: string, where: string): void => {
    for (const s of [secret, fileSecret, dbSecret, jwtSecret, jwt])
      expect(text.includes(s), `${s} in ${where}`).toBe(false);
  };

  describe.each(engines)("under %s", (engine) => {
    const useBox = boxesUnder(engine);
    describe.each(runnersFor(engine))("as %s", (runner) => {
      const layout = { "home/.token": `${fileSecret}\n` };

      it("curl, Python, Node and git verify srt's certificates through the variables srt sets", async (ctx) => {
        const box = useBox(ctx, runner, layout);
        const base = `https://127.0.0.1:${inject.port}`;
        const out = await runScript(
          scratch,
          box,
          settings(box),
          [
            `echo "curl=$(curl -sS --max-time 8 ${base}/curl-${runner})"`,
            // Who signed what curl saw: srt's CA (O=srt), not the test CA of the real server.
            `curl -sS -v --max-time 8 -o /dev/null ${base}/issuer 2>&1 | grep -q "issuer: O=srt" && echo curlIssuer=srt`,
            `echo "python=$(/usr/bin/python3 -c 'import urllib.request,sys; print(urllib.request.urlopen(sys.argv[1], timeout=8).read().decode().strip())' ${base}/python-${runner})"`,
            `${process.execPath} ${client} 127.0.0.1 ${inject.port} /node-${runner} | sed 's/^/node./'`,
            `echo "git=$(git ls-remote ${base}/repo.git 2>&1 | tr '\\t' ' ')"`,
          ].join("\n"),
          { env: secrets },
        );
        const v = values(out);
        expect(out.status, shown(out)).toBe(0);
        expect(v["curl"]).toBe(`ok GET /curl-${runner}`);
        expect(v["curlIssuer"]).toBe("srt");
        expect(v["python"]).toBe(`ok GET /python-${runner}`);
        expect(v["node.issuer"]).toBe("srt");
        expect(v["node.status"]).toBe("200");
        expect(v["node.body"]).toBe(`ok GET /node-${runner}`);
        expect(v["git"]).toBe(`${"1".repeat(40)} refs/heads/main`);
        expect(inject.seen.map((s) => s.url)).toEqual(
          expect.arrayContaining([`/curl-${runner}`, `/python-${runner}`, `/node-${runner}`]),
        );
      });

      it("a masked token reaches its inject host only; the command holds only sentinels", async (ctx) => {
        const box = useBox(ctx, runner, layout);
        const before = { inject: inject.seen.length, other: other.seen.length };
        const out = await runScript(
          scratch,
          box,
          settings(box),
          [
            `echo "env=$API_TOKEN"`,
            `echo "db=$DATABASE_URL"`,
            `echo "denied=\${DENIED_TOKEN-unset}"`,
            `echo "file=$(cat ${box.at("home/.token")})"`,
            // Anything readable that could hold the real values: the environment, the file, /proc.
            `(env; cat ${box.at("home/.token")}; cat /proc/self/environ) | grep -c -e '${secret}' -e '${fileSecret}' -e '${dbSecret}' | sed 's/^/leaks=/'`,
            // The masked JWT still decodes, its other claims real.
            `echo "jwtSub=$(echo "$ID_TOKEN" | cut -d. -f2 | tr '_-' '/+' | base64 -d 2>/dev/null | sed 's/.*"sub":"\\([^"]*\\)".*/\\1/')"`,
            `echo "jwtLeak=$(echo "$ID_TOKEN" | grep -c '${jwt}')"`,
            `echo "jwtSent=$(curl -sS --max-time 8 -H "X-Jwt: $ID_TOKEN" https://127.0.0.1:${inject.port}/jwt-${runner})"`,
            `echo "inject=$(curl -sS --max-time 8 -H "Authorization: Bearer $API_TOKEN" -H "X-File: $(cat ${box.at("home/.token")})" -H "X-Db: $DATABASE_URL" https://127.0.0.1:${inject.port}/inject-${runner})"`,
            `echo "body=$(curl -sS --max-time 8 --data "token=$API_TOKEN" https://127.0.0.1:${inject.port}/body-${runner})"`,
            `curl -sS --max-time 8 -o /dev/null -w "elsewhere=%{http_code}\\n" -H "Authorization: Bearer $API_TOKEN" https://127.0.0.2:${other.port}/elsewhere-${runner}`,
            `curl -sS --max-time 8 -o /dev/null -w "elsewhereBody=%{http_code}\\n" --data "x=$API_TOKEN" https://127.0.0.2:${other.port}/elsewhere-body-${runner}`,
            `curl -sS --max-time 8 -o /dev/null -w "inUrl=%{http_code}\\n" "https://127.0.0.2:${other.port}/q?t=$API_TOKEN"`,
          ].join("\n"),
          { env: secrets, flags: ["-d", "--violations", violationsPath(box)] },
        );
        const v = values(out);
        expect(out.status, shown(out)).toBe(0);
        expect(v["env"]).toMatch(/^srt_masked_[0-9a-f]{32}$/);
        expect(v["db"]).toMatch(/^postgres:\/\/app:srt_masked_[0-9a-f]{32}@db\.example\/app$/);
        expect(v["denied"]).toBe("unset");
        expect(v["file"]).toMatch(/^srt_masked_[0-9a-f]{32}$/);
        expect(v["leaks"]).toBe("0");
        expect(v["inject"]).toBe(`ok GET /inject-${runner}`);
        const seen = inject.seen.slice(before.inject);
        const got = seen.find((s) => s.url === `/inject-${runner}`)!;
        expect(got.headers["authorization"]).toBe(`Bearer ${secret}`);
        expect(got.headers["x-file"]).toBe(fileSecret);
        expect(got.headers["x-db"]).toBe(`postgres://app:${dbSecret}@db.example/app`);
        expect(seen.find((s) => s.url === `/body-${runner}`)?.body).toBe(`token=${secret}`);
        expect(v["jwtSub"]).toBe("user-7");
        expect(v["jwtLeak"]).toBe("0");
        expect(v["jwtSent"]).toBe(`ok GET /jwt-${runner}`);
        expect(seen.find((s) => s.url === `/jwt-${runner}`)?.headers["x-jwt"]).toBe(jwt);
        // Elsewhere: refused by srt, and the server never saw the request at all.
        expect(v["elsewhere"]).toBe("403");
        expect(v["elsewhereBody"]).toBe("403");
        expect(v["inUrl"]).toBe("403");
        expect(other.seen.slice(before.other).map((s) => s.url)).toEqual([]);
        const refusals = readViolations(box).filter((x) => String(x["reason"]).includes("masked credential"));
        expect(refusals.map((x) => x["rule"])).toEqual([
          "/credentials/envVars/0",
          "/credentials/envVars/0",
          "/credentials/envVars/0",
        ]);
        // Nothing srt printed (debug output included) or wrote holds a secret.
        noSecretIn(out.stdout + out.stderr, "srt's output");
        noSecretIn(readFileSync(violationsPath(box), "utf8"), "the violations file");
      });

      it("an upstream whose certificate srt cannot verify gets nothing, and the token is not sent", async (ctx) => {
        const box = useBox(ctx, runner, layout);
        const s = settings(box) as {
          network: { allowedDomains: string[] };
          credentials: { envVars: { injectHosts: string[] }[] };
        };
        s.network.allowedDomains.push(`127.0.0.3:${rogue.port}`);
        s.credentials.envVars[0]!.injectHosts.push(`127.0.0.3:${rogue.port}`);
        const before = rogue.seen.length;
        const out = await runScript(
          scratch,
          box,
          s,
          `curl -sS --max-time 8 -o /dev/null -w "rogue=%{http_code}\\n" -H "Authorization: Bearer $API_TOKEN" https://127.0.0.3:${rogue.port}/rogue`,
          { env: secrets },
        );
        expect(values(out)["rogue"], shown(out)).toBe("502");
        expect(rogue.seen.length).toBe(before);
        noSecretIn(out.stdout + out.stderr, "srt's output");
      });

      it("plain HTTP: a sentinel is refused, unless allowPlaintextInject and an inject host", async (ctx) => {
        const box = useBox(ctx, runner, layout);
        const url = `http://127.0.0.1:${plain.port}`;
        const script = (tag: string): string =>
          `curl -sS --max-time 8 -o /dev/null -w "${tag}=%{http_code}\\n" -H "Authorization: Bearer $API_TOKEN" ${url}/${tag}-${runner}`;
        const s = settings(box) as { network: { allowedDomains: string[] }; credentials: Record<string, unknown> };
        s.network.allowedDomains.push(`127.0.0.1:${plain.port}`);
        (s.credentials["envVars"] as { injectHosts: string[] }[])[0]!.injectHosts.push(`127.0.0.1:${plain.port}`);
        const refused = await runScript(scratch, box, s, script("refused"), { env: secrets });
        expect(values(refused)["refused"], shown(refused)).toBe("403");
        expect(plain.seen.map((x) => x.url)).not.toContain(`/refused-${runner}`);
        s.credentials["allowPlaintextInject"] = true;
        const injected = await runScript(scratch, box, s, script("injected"), { env: secrets });
        expect(values(injected)["injected"], shown(injected)).toBe("200");
        expect(plain.seen.find((x) => x.url === `/injected-${runner}`)?.headers["authorization"]).toBe(
          `Bearer ${secret}`,
        );
        noSecretIn(refused.stdout + refused.stderr + injected.stdout + injected.stderr, "srt's output");
      });

      it("explain, compile and the plan never hold a secret", async (ctx) => {
        const box = useBox(ctx, runner, layout);
        // With every request filter set, so their IR, plan and explain lines are searched too.
        const s = settings(box) as { network: Record<string, unknown> };
        s.network = {
          ...s.network,
          refuseOpaqueTunnels: true,
          requireHostMatch: true,
          stripResponseHeaders: ["set-cookie"],
          allowPlaintextHeaderSet: false,
          ambiguousRequestTarget: "refuse",
        };
        writeFileSync(box.settings, JSON.stringify(s));
        for (const args of [
          ["explain", box.settings],
          ["explain", box.settings, "--json"],
          ["compile", "--target", "linux", box.settings, "--emit", "ir"],
          ["compile", "--target", "linux", box.settings],
        ]) {
          const out = await srt(box, args, { env: secrets });
          expect(out.status, shown(out)).toBe(0);
          noSecretIn(out.stdout + out.stderr, args.join(" "));
        }
      });

      it("a CONNECT that carries no TLS is tunnelled opaquely; excluded hosts keep their own certificate", async (ctx) => {
        const box = useBox(ctx, runner, layout);
        const s = settings(box) as { network: { allowedDomains: string[]; tlsTerminate: Record<string, unknown> } };
        s.network.allowedDomains.push(`127.0.0.1:${echo.port}`);
        s.network.tlsTerminate["excludeDomains"] = [`127.0.0.2:${other.port}`];
        const out = await runScript(
          scratch,
          box,
          s,
          [
            // A line protocol inside a CONNECT tunnel to a terminated host: its first byte is not TLS.
            `${process.execPath} ${scratch.client} connect 127.0.0.1:${echo.port} plain-${runner} | sed 's/^/opaque./'`,
            `curl -sS -v --max-time 8 -o /dev/null https://127.0.0.2:${other.port}/excluded-${runner} 2>&1 | grep -q "issuer: CN=srt test CA" && echo excludedIssuer=test-ca`,
          ].join("\n"),
          { env: secrets },
        );
        const v = values(out);
        expect(out.status, shown(out)).toBe(0);
        expect(v["opaque.status"]).toBe("200");
        expect(v["opaque.echo"]).toBe(`plain-${runner}`);
        expect(echo.seen).toContain(`plain-${runner}`);
        // Excluded: the client's own TLS reached the real server (its certificate, verified with the bundle srt gave).
        expect(v["excludedIssuer"]).toBe("test-ca");
        expect(other.seen.map((x) => x.url)).toContain(`/excluded-${runner}`);
      });

      it("a CA the user names signs the certificates, and its key is unreadable in the sandbox", async (ctx) => {
        const box = useBox(ctx, runner, layout);
        const userCa = makeTestCa(box.home, "user CA");
        spawnSync("chown", ["-R", `${box.uid}:${box.gid}`, box.home]);
        const s = settings(box) as { network: { tlsTerminate: Record<string, unknown> } };
        s.network.tlsTerminate["caCertPath"] = userCa.certPath;
        s.network.tlsTerminate["caKeyPath"] = userCa.keyPath;
        const out = await runScript(
          scratch,
          box,
          s,
          [
            `cat ${userCa.keyPath} >/dev/null 2>&1 && echo key=readable || echo key=denied`,
            `curl -sS -v --max-time 8 -o /dev/null https://127.0.0.1:${inject.port}/user-ca 2>&1 | grep -q "issuer: CN=user CA" && echo issuer=user`,
          ].join("\n"),
          { env: secrets },
        );
        const v = values(out);
        expect(out.status, shown(out)).toBe(0);
        expect(v["key"]).toBe("denied");
        expect(v["issuer"]).toBe("user");
      });
    });
  });
});
