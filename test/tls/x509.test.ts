import { spawnSync } from "node:child_process";
import { X509Certificate, generateKeyPairSync } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ephemeralAuthority, loadedAuthority } from "../../src/runtime/proxy/tls/x509.js";
import { tempDir } from "../support/temp.js";

/** OpenSSL's own verifier, strict mode, as Python 3.13 and curl builds with X509_STRICT use it. */
function opensslVerify(caPem: string, leafPem: string, host: string): { ok: boolean; out: string } {
  const dir = tempDir("srt-x509-");
  writeFileSync(join(dir, "ca.pem"), caPem);
  writeFileSync(join(dir, "leaf.pem"), leafPem);
  const hostArg = /^[\d.]+$|:/.test(host) ? ["-verify_ip", host] : ["-verify_hostname", host];
  const r = spawnSync(
    "openssl",
    [
      "verify",
      "-x509_strict",
      "-purpose",
      "sslserver",
      ...hostArg,
      "-CAfile",
      join(dir, "ca.pem"),
      join(dir, "leaf.pem"),
    ],
    { encoding: "utf8" },
  );
  return { ok: r.status === 0, out: r.stdout + r.stderr };
}

describe("srt's X.509 certificates", () => {
  it("an ephemeral CA signs per-host leaves that OpenSSL verifies strictly (DNS names and IPs)", () => {
    const ca = ephemeralAuthority();
    for (const host of ["example.com", "127.0.0.1", "::1", "xn--bcher-kva.example"]) {
      const leaf = ca.leaf(host);
      const v = opensslVerify(ca.certPem, leaf.certPem, host);
      expect(v.out).toContain("OK");
      expect(v.ok).toBe(true);
      const x = new X509Certificate(leaf.certPem);
      expect(x.verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
      expect(x.checkHost(host) ?? x.checkIP(host)).toBe(host);
    }
  });

  it("a leaf for one host does not verify for another, and is cached per host", () => {
    const ca = ephemeralAuthority();
    const leaf = ca.leaf("a.example");
    expect(ca.leaf("a.example")).toBe(leaf);
    expect(opensslVerify(ca.certPem, leaf.certPem, "b.example").ok).toBe(false);
    // Another run's CA does not vouch for it.
    expect(opensslVerify(ephemeralAuthority().certPem, leaf.certPem, "a.example").ok).toBe(false);
  });

  it("a user's RSA CA (from openssl) signs leaves OpenSSL chains to it", () => {
    const dir = tempDir("srt-x509-");
    const r = spawnSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=user test CA/O=Example",
        "-days",
        "2",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
        "-keyout",
        join(dir, "k.pem"),
        "-out",
        join(dir, "c.pem"),
      ],
      { encoding: "utf8" },
    );
    expect(r.status, r.stderr).toBe(0);
    const caPem = readFileSync(join(dir, "c.pem"), "utf8");
    const ca = loadedAuthority(caPem, readFileSync(join(dir, "k.pem"), "utf8"));
    const v = opensslVerify(caPem, ca.leaf("example.org").certPem, "example.org");
    expect(v.out).toContain("OK");
  });

  it("refuses a key that is not the certificate's", () => {
    const ca = ephemeralAuthority();
    const other = generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey.export({
      type: "pkcs8",
      format: "pem",
    }) as string;
    expect(() => loadedAuthority(ca.certPem, other)).toThrow(/does not belong/);
  });
});
