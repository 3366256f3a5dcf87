/**
 * network.tlsTerminate and masked variables through the macOS runner, driven
 * on Linux with a pretend macOS (fake-os.ts): the fake sandbox-exec hands the
 * test the environment and argv it was given, and the test then acts as the
 * command — it finds srt's CA only through the file NODE_EXTRA_CA_CERTS names
 * and makes an HTTPS request through srt's real terminating proxy to a real
 * HTTPS server on 127.0.0.1, carrying the sentinel it was given.
 *
 * NOT A macOS RUN: Seatbelt is not here, so that the command can read the CA
 * files and not write them is proven on the profile only (evaluator model,
 * test/seatbelt/tls-files.test.ts); what these tests prove is what srt
 * writes, passes and injects.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { validateSbpl } from "../../src/backends/seatbelt/index.js";
import { compileSettings, type Policy } from "../../src/compiler/index.js";
import { tlsTrustVariables } from "../../src/runtime/proxy/tls/trust-env.js";
import { runMacos } from "../../src/runtime/macos/index.js";
import { createEvaluator } from "../seatbelt/evaluate.js";
import { createFixtureHost } from "../support/fixture-host.js";
import { makeTestCa, startHttpsServer, throughTunnel, type HttpsServer, type TestCa } from "../network/tls-servers.js";
import { createFakeOs, createMemFs, type MemFs } from "./fake-os.js";

const secret = `s3cr3t-${process.pid}-Mq8`;
const fileSecret = `f1le-${process.pid}-Lw3`;
const corpRoot = "/etc/corp-root.pem";

/** What the command does: CONNECT through HTTPS_PROXY, TLS trusting only `ca`, one GET carrying the token. */
async function httpsThroughProxy(proxyUrl: string, port: number, ca: string, auth: string) {
  const text = await throughTunnel(
    Number(new URL(proxyUrl).port),
    { host: "127.0.0.1", port },
    ca,
    `GET /x HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${auth}\r\nConnection: close\r\n\r\n`,
  );
  return { status: text.split("\r\n")[0]!, body: text.split("\r\n\r\n")[1] ?? "" };
}

describe("runMacos: TLS termination and masked variables (fake sandbox-exec, real proxy; not macOS)", () => {
  let scratch: string;
  let ca: TestCa;
  let server: HttpsServer;
  let policy: Policy;

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), "srt-macos-tls-"));
    ca = makeTestCa(scratch);
    server = await startHttpsServer(ca, "127.0.0.1");
    const host = { cwd: "/Users/u/proj", home: "/Users/u", platform: "darwin" as const };
    const compiled = compileSettings({
      text: JSON.stringify({
        network: { allowedDomains: [`127.0.0.1:${server.port}`], tlsTerminate: { extraCaCertPaths: [corpRoot] } },
        credentials: {
          envVars: [
            { name: "API_TOKEN", mode: "mask", injectHosts: [`127.0.0.1:${server.port}`] },
            { name: "DENIED_TOKEN", mode: "deny" },
          ],
          files: [{ path: "~/.token", mode: "mask" }],
        },
      }),
      file: "/Users/u/.srt-settings.json",
      host: createFixtureHost({ dirs: ["/Users/u/proj"], files: ["/Users/u/.token", corpRoot] }, host),
      target: "macos",
    });
    // The masked file is the one thing macOS cannot do: said at compile time, and nothing else.
    expect(compiled.diagnostics.map((d) => `${d.code} ${d.pointer}`)).toEqual(["SRT433 /credentials/files/0"]);
    policy = compiled.policy!;
  });
  afterAll(async () => {
    await server?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  const start = () => {
    const fs = createMemFs({
      dirs: ["/private/var/folders/x/T"],
      links: { "/var": "/private/var" },
      files: { [corpRoot]: ca.certPem, "/Users/u/.token": `${fileSecret}\n` },
    });
    const os = createFakeOs({ fs });
    const warnings: string[] = [];
    const running = runMacos(
      {
        policy,
        command: ["curl", "https://127.0.0.1/"],
        cwd: "/Users/u/proj",
        env: {
          PATH: "/usr/bin:/bin",
          HOME: "/Users/u",
          API_TOKEN: secret,
          DENIED_TOKEN: "denied",
          SSL_CERT_FILE: "/x",
        },
        logDrainMs: 0,
        warn: (l) => warnings.push(l),
      },
      os.deps,
    );
    return { os, fs, running, warnings };
  };

  it("writes srt's CA and bundle into the run directory, passes them to the profile, and points the 13 variables at them", async () => {
    const { os, fs, running } = start();
    const cmd = await os.command;
    const runDir = cmd.args[1]!.slice(0, -"/profile.sb".length);
    const files = { ca: `${runDir}/srt-ca.pem`, bundle: `${runDir}/srt-ca-bundle.pem` };
    expect(cmd.args.slice(2, 9)).toEqual([
      "-D",
      `SRT_PRIVATE_TMP=${runDir}/tmp`,
      "-D",
      `SRT_TLS_CA=${files.ca}`,
      "-D",
      `SRT_TLS_BUNDLE=${files.bundle}`,
      "--",
    ]);
    const env = cmd.request.env;
    expect(env["NODE_EXTRA_CA_CERTS"]).toBe(files.ca);
    for (const name of tlsTrustVariables.filter((n) => n !== "NODE_EXTRA_CA_CERTS"))
      expect(env[name], name).toBe(files.bundle);
    expect(tlsTrustVariables).toHaveLength(13);
    const caPem = fs.read(files.ca);
    expect(caPem).toMatch(/^-----BEGIN CERTIFICATE-----/);
    // The bundle: the host's roots (Node's list here), the extra root, srt's CA last.
    expect(fs.read(files.bundle)).toContain(ca.certPem.trim());
    expect(fs.read(files.bundle).trim().endsWith(caPem.trim())).toBe(true);
    // Files srt made, none the command could have placed: outside its temp dir, not writable by the profile.
    expect(files.ca.startsWith(`${runDir}/tmp/`)).toBe(false);
    const verdict = createEvaluator(cmd.profileAtSpawn!, {
      SRT_PRIVATE_TMP: `${runDir}/tmp`,
      SRT_TLS_CA: files.ca,
      SRT_TLS_BUNDLE: files.bundle,
    });
    expect(validateSbpl(cmd.profileAtSpawn!)).toEqual([]);
    expect([verdict("file-read-data", files.ca), verdict("file-write-data", files.ca)]).toEqual(["allow", "deny"]);
    // The key is written nowhere: no file of the run holds a private key.
    for (const p of (fs as MemFs).entries()) {
      let text = "";
      try {
        text = fs.read(p);
      } catch {
        continue; // a directory
      }
      expect(text, p).not.toMatch(/PRIVATE KEY/);
    }
    cmd.proc.exit(0);
    expect(await running.result).toMatchObject({ kind: "exited", status: 0 });
    // Cleaned up with the run directory.
    expect(fs.entries().filter((p) => p.startsWith("/private/var/folders/x/T/"))).toEqual([]);
  });

  it("the command holds only the sentinel; the proxy sends the real value to the inject host over terminated TLS", async () => {
    const { os, fs, running, warnings } = start();
    const cmd = await os.command;
    const env = cmd.request.env;
    expect(env["API_TOKEN"]).toMatch(/^srt_masked_[0-9a-f]{32}$/);
    expect(env["DENIED_TOKEN"]).toBeUndefined();
    expect(Object.values(env).join("\n")).not.toContain(secret);
    // The masked file: not shown (no copy written), its secret never read into any file of the run.
    expect(fs.entries().some((p) => p.includes("/masks"))).toBe(false);
    const caPem = fs.read(env["NODE_EXTRA_CA_CERTS"]!);
    const got = await httpsThroughProxy(env["HTTPS_PROXY"]!, server.port, caPem, env["API_TOKEN"]!);
    expect(got.status).toBe("HTTP/1.1 200 OK");
    expect(got.body).toContain("ok GET /x");
    // The server saw the real value, never the sentinel.
    expect(server.seen.at(-1)!.headers["authorization"]).toBe(`Bearer ${secret}`);
    cmd.proc.exit(0);
    const result = await running.result;
    expect(result).toMatchObject({ kind: "exited", status: 0 });
    expect(warnings).toEqual([]);
    expect(JSON.stringify(result)).not.toContain(secret);
  });

  it("a CA that cannot be loaded stops the run before anything starts, and leaves nothing behind", async () => {
    const broken: Policy = {
      ...policy,
      network: {
        ...policy.network,
        tlsTerminate: { ...policy.network.tlsTerminate!, ca: { certPath: "/nope.pem", keyPath: "/nope.key" } },
      },
    };
    const fs = createMemFs({ dirs: ["/private/var/folders/x/T"], links: { "/var": "/private/var" } });
    const os = createFakeOs({ fs });
    const result = await runMacos(
      { policy: broken, command: ["true"], cwd: "/Users/u/proj", env: {}, logDrainMs: 0 },
      os.deps,
    ).result;
    expect(result).toMatchObject({ kind: "failed", code: "SRT541" });
    expect(os.calls).toEqual([]);
    expect(fs.entries().filter((p) => p.startsWith("/private/var/folders/x/T/"))).toEqual([]);
  });
});
