/**
 * network.tlsTerminate and masked credentials under `srt --runtime docker`, against a private
 * dockerd (test/support/dockerd.ts), as root (rootless Docker is not installed here), and under
 * `--runtime podman` (the machine's own) when SRT_TEST_ENGINES names podman. The client is the
 * host's curl in srt's skeleton root (the test image's busybox wget does not verify
 * certificates at all, so it could prove nothing about the CA):
 *   - curl verifies srt's per-run CA only through the variables srt sets, and sees srt's
 *     certificate for a loopback HTTPS server signed by a test CA srt was given;
 *   - the CA certificate and bundle are read-only in the container; no private key is there;
 *   - a masked token (variable and file) reaches its inject host as the real secret and is
 *     refused elsewhere; the container's environment and file hold only sentinels; a denied
 *     variable is not there at all.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lacking, unavailable } from "../support/requirements.js";
import { missingDocker, srtContainers, startPrivateDocker, type PrivateDocker } from "../support/dockerd.js";
import { makeTestCa, startHttpsServer, type HttpsServer } from "../network/tls-servers.js";
import { report, srt, supported, skipReason, useBox, writeSettings } from "./support.js";

const secret = `s3cr3t-${process.pid}-Dk9`;
const fileSecret = `f1le-${process.pid}-Dk7`;
const curl = ["/usr/bin/curl"].find((p) => existsSync(p));
const podmanWanted = (process.env["SRT_TEST_ENGINES"] ?? "").split(/[ ,]/).includes("podman");

describe.skipIf(lacking(!supported || missingDocker !== undefined, missingDocker ?? skipReason))(
  "TLS termination and masked credentials under Docker (a private dockerd)",
  () => {
    if (curl === undefined) unavailable("curl is missing (apt-get install curl)");
    let engine: PrivateDocker;
    let dir: string;
    let inject: HttpsServer;
    let other: HttpsServer;
    let caPath: string;
    beforeAll(async () => {
      engine = await startPrivateDocker();
      dir = mkdtempSync(join(tmpdir(), "srtdk-tls-"));
      const ca = makeTestCa(dir);
      caPath = ca.certPath;
      inject = await startHttpsServer(ca, "127.0.0.1");
      other = await startHttpsServer(ca, "127.0.0.2");
      // Waits for another test file's private engine first (test/support/dockerd.ts).
    }, 300_000);
    afterAll(async () => {
      await Promise.all([inject?.close(), other?.close()]);
      await engine?.stop();
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    }, 60_000);

    // podman (the machine's own, as root) runs the same runner: only when SRT_TEST_ENGINES names it.
    const runtimes = ["docker", ...(podmanWanted ? ["podman"] : [])];
    for (const runtime of runtimes)
      it.skipIf(curl === undefined)(
        `${runtime}: curl trusts srt's CA through srt's variables; a masked token reaches only its inject host`,
        async (ctx) => {
          const box = useBox(ctx, "root", { "home/.token": `${fileSecret}\n` });
          const injectHost = `127.0.0.1:${inject.port}`;
          writeSettings(box, {
            network: {
              allowedDomains: [injectHost, `127.0.0.2:${other.port}`],
              tlsTerminate: { extraCaCertPaths: [caPath] },
            },
            credentials: {
              envVars: [
                { name: "API_TOKEN", mode: "mask", injectHosts: [injectHost] },
                { name: "DENIED_TOKEN", mode: "deny" },
              ],
              files: [{ path: box.at("home/.token"), mode: "mask", injectHosts: [injectHost] }],
            },
          });
          const base = `https://${injectHost}`;
          const token = box.at("home/.token");
          const before = { inject: inject.seen.length, other: other.seen.length };
          const out = await srt(
            box,
            [
              "--runtime",
              runtime,
              "--settings",
              box.settings,
              "-c",
              [
                `echo "curl=$(curl -sS --max-time 8 ${base}/curl)"`,
                `curl -sS -v --max-time 8 -o /dev/null ${base}/issuer 2>&1 | grep -q "issuer: O=srt" && echo issuer=srt`,
                'echo "env=$API_TOKEN"',
                'echo "denied=${DENIED_TOKEN-unset}"',
                `echo "file=$(cat ${token})"`,
                `(env; cat ${token}; cat /proc/1/environ /proc/self/environ) | grep -c -e '${secret}' -e '${fileSecret}' | sed 's/^/leaks=/'`,
                `echo "inject=$(curl -sS --max-time 8 -H "Authorization: Bearer $API_TOKEN" -H "X-File: $(cat ${token})" ${base}/inject)"`,
                `curl -sS --max-time 8 -o /dev/null -w "elsewhere=%{http_code}\\n" -H "Authorization: Bearer $API_TOKEN" https://127.0.0.2:${other.port}/elsewhere`,
                '(echo x >> "$SSL_CERT_FILE") 2>/dev/null && echo bundle=written || echo bundle=read-only',
                '(echo x >> "$NODE_EXTRA_CA_CERTS") 2>/dev/null && echo ca=written || echo ca=read-only',
                'echo keys=$(grep -rl "PRIVATE KEY" "$TMPDIR" 2>/dev/null | wc -l)',
              ].join("\n"),
            ],
            {
              env: { DOCKER_HOST: engine.host, API_TOKEN: secret, DENIED_TOKEN: `denied-${secret}` },
              timeoutMs: 60_000,
            },
          );
          expect(out.status, out.stderr).toBe(0);
          const v = report(out);
          expect(v["curl"]).toBe("ok GET /curl");
          expect(v["issuer"]).toBe("srt");
          expect(v["env"]).toMatch(/^srt_masked_[0-9a-f]{32}$/);
          expect(v["file"]).toMatch(/^srt_masked_[0-9a-f]{32}$/);
          expect(v["denied"]).toBe("unset");
          expect(v["leaks"]).toBe("0");
          expect(v["inject"]).toBe("ok GET /inject");
          const got = inject.seen.slice(before.inject).find((s) => s.url === "/inject");
          expect(got?.headers["authorization"]).toBe(`Bearer ${secret}`);
          expect(got?.headers["x-file"]).toBe(fileSecret);
          expect(v["elsewhere"]).toBe("403");
          expect(other.seen.slice(before.other).map((s) => s.url)).toEqual([]);
          expect(v["bundle"]).toBe("read-only");
          expect(v["ca"]).toBe("read-only");
          expect(v["keys"]).toBe("0");
          for (const s of [secret, fileSecret]) expect(out.stdout + out.stderr).not.toContain(s);
          if (runtime === "docker") expect(srtContainers(engine)).toEqual([]);
        },
      );
  },
);
