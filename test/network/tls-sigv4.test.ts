/**
 * credentials.awsPairs end to end: a SigV4 client in the real sandbox (Python,
 * sigv4-client.py) signs with the AWS pair it sees — sentinels — and sends
 * through srt's TLS-terminating proxy to an HTTPS server on 127.0.0.1, the
 * pair's inject host. The server must get a request signed with the real
 * pair (checked here by a verifier written from the SigV4 description, not
 * srt's signer) and never a sentinel; the same request to 127.0.0.2 (allowed,
 * not an inject host) is refused and reported; requests srt cannot sign
 * again (aws-chunked streaming, presigned URLs) are refused by default.
 */
import { createHash, createHmac } from "node:crypto";
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lacking, unavailable } from "../support/requirements.js";
import { missingTestUser, runners, srt, useBox } from "../linux/support.js";
import {
  hasTool,
  makeScratch,
  networkSkipReason,
  networkSupported,
  readViolations,
  runScript,
  shown,
  values,
  violationsPath,
  type Scratch,
} from "./support.js";
import { makeTestCa, startHttpsServer, type HttpsServer, type Seen, type TestCa } from "./tls-servers.js";

const keyId = `AKIAREAL${process.pid}`;
const secretKey = `real/Secret+${process.pid}-Vb3`;
const sessionToken = `real-session-${process.pid}-Tk8`;

/** SigV4 verification of what the server received, from AWS's description of the protocol. */
function verify(s: Seen, secret: string): { keyId: string; ok: boolean } {
  const auth = String(s.headers["authorization"]);
  const m =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
      auth,
    );
  if (m === null) return { keyId: "", ok: false };
  const [, id, day, region, service, signed, signature] = m as unknown as string[];
  const names = signed!.split(";");
  const canon = names.map((n) => `${n}:${String(s.headers[n]).trim().replace(/\s+/g, " ")}\n`).join("");
  const payload = String(s.headers["x-amz-content-sha256"]);
  const bodyHash = createHash("sha256").update(s.body).digest("hex");
  const [path, query = ""] = s.url.split("?");
  const creq = [s.method, path, query, canon, signed, payload].join("\n");
  const scope = `${day}/${region}/${service}/aws4_request`;
  const sts = `AWS4-HMAC-SHA256\n${String(s.headers["x-amz-date"])}\n${scope}\n${createHash("sha256").update(creq).digest("hex")}`;
  const h = (k: string | Buffer, d: string): Buffer => createHmac("sha256", k).update(d).digest();
  const k = h(h(h(h(`AWS4${secret}`, day!), region!), service!), "aws4_request");
  return { keyId: id!, ok: payload === bodyHash && createHmac("sha256", k).update(sts).digest("hex") === signature };
}

describe.skipIf(lacking(!networkSupported, networkSkipReason))("masked AWS key pairs (SigV4 re-signing)", () => {
  if (missingTestUser) unavailable("as srt-test: user srt-test does not exist (useradd -m srt-test)");
  if (!hasTool("python3")) unavailable("python3 is missing (apt-get install python3): its cases are skipped");
  let scratch: Scratch;
  let ca: TestCa;
  let inject: HttpsServer;
  let other: HttpsServer;
  let client: string;

  beforeAll(async () => {
    scratch = makeScratch();
    ca = makeTestCa(scratch.dir);
    inject = await startHttpsServer(ca, "127.0.0.1");
    other = await startHttpsServer(ca, "127.0.0.2");
    client = join(scratch.dir, "sigv4-client.py");
    copyFileSync(new URL("./sigv4-client.py", import.meta.url), client);
  });
  afterAll(async () => {
    await Promise.all([inject?.close(), other?.close()]);
    scratch?.remove();
  });

  const settings = (): Record<string, unknown> => {
    const hosts = [`127.0.0.1:${inject.port}`];
    return {
      network: {
        allowedDomains: [`127.0.0.1:${inject.port}`, `127.0.0.2:${other.port}`],
        tlsTerminate: { extraCaCertPaths: [ca.certPath] },
      },
      credentials: {
        envVars: [
          { name: "AWS_ACCESS_KEY_ID", mode: "mask", injectHosts: hosts },
          { name: "AWS_SECRET_ACCESS_KEY", mode: "mask", injectHosts: hosts },
          { name: "AWS_SESSION_TOKEN", mode: "mask", injectHosts: hosts },
        ],
      },
    };
  };
  const env = { AWS_ACCESS_KEY_ID: keyId, AWS_SECRET_ACCESS_KEY: secretKey, AWS_SESSION_TOKEN: sessionToken };
  const noSecretIn = (text: string, where: string): void => {
    for (const s of [keyId, secretKey, sessionToken]) expect(text.includes(s), `${s} in ${where}`).toBe(false);
  };

  describe.each(runners)("as %s", (runner) => {
    it("a request signed with the sentinel pair arrives signed with the real one; elsewhere it is refused", async (ctx) => {
      const box = useBox(ctx, runner, {});
      const before = { inject: inject.seen.length, other: other.seen.length };
      const py = (tag: string, url: string, method: string, body: string, mode: string): string =>
        `python3 ${client} ${url} ${method} '${body}' ${mode} | sed 's/^/${tag}-/'`;
      const base = `https://127.0.0.1:${inject.port}`;
      const out = await runScript(
        scratch,
        box,
        settings(),
        [
          `echo "key=$AWS_ACCESS_KEY_ID"`,
          `(env; cat /proc/self/environ) | grep -c -e '${keyId}' -e '${secretKey}' -e '${sessionToken}' | sed 's/^/leaks=/'`,
          py("post", `${base}/post-${runner}`, "POST", "Action=GetCallerIdentity&Version=2011-06-15", "header"),
          py("get", `${base}/get-${runner}`, "GET", "", "header"),
          py("elsewhere", `https://127.0.0.2:${other.port}/elsewhere-${runner}`, "GET", "", "header"),
          py("streaming", `${base}/streaming-${runner}`, "POST", "chunk", "streaming"),
          py("presigned", `${base}/presigned-${runner}`, "GET", "", "presigned"),
        ].join("\n"),
        { env, flags: ["-d", "--violations", violationsPath(box)] },
      );
      const v = values(out);
      expect(out.status, shown(out)).toBe(0);
      expect(v["key"]).toMatch(/^srt_masked_[0-9a-f]{32}$/);
      expect(v["leaks"]).toBe("0");
      expect(v["post-status"], shown(out)).toBe("200");
      expect(v["get-status"], shown(out)).toBe("200");
      const seen = inject.seen.slice(before.inject);
      for (const tag of ["post", "get"]) {
        const got = seen.find((s) => s.url === `/${tag}-${runner}`)!;
        expect(verify(got, secretKey)).toEqual({ keyId, ok: true });
        expect(got.headers["x-amz-security-token"]).toBe(sessionToken);
      }
      expect(seen.find((s) => s.url === `/post-${runner}`)?.body).toBe("Action=GetCallerIdentity&Version=2011-06-15");
      // The server never saw a sentinel, nor a request srt could not sign again.
      expect(JSON.stringify(seen).includes("srt_masked_")).toBe(false);
      expect(seen.map((s) => s.url.split("?")[0])).toEqual([`/post-${runner}`, `/get-${runner}`]);
      expect(v["elsewhere-status"]).toBe("403");
      expect(v["streaming-status"]).toBe("403");
      expect(v["presigned-status"]).toBe("403");
      expect(other.seen.slice(before.other)).toEqual([]);
      const refusals = readViolations(box).map((x) => [x["rule"], String(x["reason"])]);
      // Elsewhere: the sentinel key id (or token) may not go there, as any mask.
      expect(refusals[0]![0]).toMatch(/^\/credentials\/envVars\/[02]$/);
      expect(refusals.slice(1).map(([r]) => r)).toEqual(["default:AWS_ACCESS_KEY_ID", "default:AWS_ACCESS_KEY_ID"]);
      expect(refusals).toHaveLength(3);
      expect(refusals[1]![1]).toContain("streaming");
      expect(refusals[2]![1]).toContain("presigned");
      noSecretIn(out.stdout + out.stderr, "srt's output");
      noSecretIn(readFileSync(violationsPath(box), "utf8"), "the violations file");
    });

    it("explain, compile and the plan name the pair's variables, never a value", async (ctx) => {
      const box = useBox(ctx, runner, {});
      writeFileSync(box.settings, JSON.stringify(settings()));
      for (const args of [
        ["explain", box.settings],
        ["explain", box.settings, "--json"],
        ["compile", "--target", "linux", box.settings, "--emit", "ir"],
        ["compile", "--target", "linux", box.settings],
      ]) {
        const out = await srt(box, args, { env });
        expect(out.status, shown(out)).toBe(0);
        noSecretIn(out.stdout + out.stderr, args.join(" "));
      }
      const explained = await srt(box, ["explain", box.settings], { env });
      expect(explained.stdout).toContain("AWS key pair $AWS_ACCESS_KEY_ID / $AWS_SECRET_ACCESS_KEY");
    });
  });
});
