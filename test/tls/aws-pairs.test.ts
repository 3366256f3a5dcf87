/**
 * Masked AWS pairs from settings to the proxy's plan: which requests are
 * signed again, which are refused (streaming, presigned, SigV4a, malformed,
 * elsewhere), and that passthrough lets the first three by. The signed-again
 * request verifies with the real secret and names the real key id.
 */
import { describe, expect, it } from "vitest";
import { canonicalizeHost } from "../../src/compiler/domains/index.js";
import { compileSettings } from "../../src/compiler/index.js";
import { prepareMasks } from "../../src/runtime/proxy/credentials/prepare.js";
import { sign, sha256Hex } from "../../src/runtime/proxy/credentials/sigv4.js";
import { resign } from "../../src/runtime/proxy/tls/resign.js";
import { createFixtureHost } from "../support/fixture-host.js";

const host = createFixtureHost({ dirs: ["/home/u/proj"], files: [] }, { cwd: "/home/u/proj", home: "/home/u" });
const compile = (credentials: Record<string, unknown>) =>
  compileSettings({
    text: JSON.stringify({
      network: { allowedDomains: ["*.amazonaws.com", "other.example"], tlsTerminate: {} },
      credentials,
    }),
    file: "/home/u/s.json",
    host,
    target: "linux",
  });
const trio = [
  { name: "AWS_ACCESS_KEY_ID", mode: "mask", injectHosts: ["*.amazonaws.com"] },
  { name: "AWS_SECRET_ACCESS_KEY", mode: "mask", injectHosts: ["*.amazonaws.com"] },
];
const realEnv = { AWS_ACCESS_KEY_ID: "AKIAREAL", AWS_SECRET_ACCESS_KEY: "realSecret" };
const s3 = canonicalizeHost("bucket.s3.amazonaws.com")!;
const elsewhere = canonicalizeHost("other.example")!;

function prepared(credentials: Record<string, unknown>) {
  const r = compile(credentials);
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return prepareMasks(r.policy!.network.masks!, { env: realEnv, readFile: () => undefined });
}

/** A request signed the way the command would: with its sentinels. */
function signed(env: Readonly<Record<string, string>>, extra: string[] = [], target = "/key") {
  const headers = ["X-Amz-Date", "20260101T000000Z", "X-Amz-Content-Sha256", sha256Hex(""), ...extra];
  const s = sign({
    method: "GET",
    target,
    headers: [...headers, "Host", "bucket.s3.amazonaws.com"],
    signedHeaders: ["host", "x-amz-content-sha256", "x-amz-date"],
    payloadHash: sha256Hex(""),
    amzDate: "20260101T000000Z",
    scope: { date: "20260101", region: "us-east-1", service: "s3" },
    accessKeyId: env["AWS_ACCESS_KEY_ID"]!,
    secret: env["AWS_SECRET_ACCESS_KEY"]!,
  });
  if (!s.ok) throw new Error(s.reason);
  return [...headers, "Authorization", s.authorization];
}

describe("masked AWS pairs", () => {
  it("the conventional trio pairs itself; a request with its sentinel is signed again with the real pair", () => {
    const p = prepared({ envVars: trio });
    expect(p.env["AWS_ACCESS_KEY_ID"]).toMatch(/^srt_masked_/);
    const headers = signed(p.env);
    const plan = p.set.aws!.plan("/key", headers, s3, 443);
    expect(plan.kind).toBe("resign");
    if (plan.kind !== "resign") return;
    const r = resign(plan, "GET", "/key", headers, "bucket.s3.amazonaws.com", Buffer.alloc(0));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    // What the real pair would have signed, header for header.
    expect(r.headers.at(-1)).toBe(signed(realEnv).at(-1));
    expect(r.headers.at(-1)).toContain("Credential=AKIAREAL/");
  });

  it("to a host outside the key id's injectHosts it is not signed again (substitution refuses it)", () => {
    const p = prepared({ envVars: trio });
    expect(p.set.aws!.plan("/key", signed(p.env), elsewhere, 443)).toEqual({ kind: "none" });
    expect(p.set.apply(signed(p.env).at(-1)!, elsewhere, 443).ok).toBe(false);
  });

  it("streaming, presigned, SigV4a and malformed are refused; passthrough lets the first three by", () => {
    const cases = (env: Readonly<Record<string, string>>) => {
      const key = env["AWS_ACCESS_KEY_ID"]!;
      return {
        streaming: [
          "/key",
          signed(env).map((v, i, a) =>
            a[i - 1] === "X-Amz-Content-Sha256" ? "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" : v,
          ),
        ],
        presigned: [
          `/key?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${key}%2F20260101%2Fus-east-1%2Fs3%2Faws4_request`,
          [],
        ],
        sigv4a: [
          "/key",
          [
            "Authorization",
            `AWS4-ECDSA-P256-SHA256 Credential=${key}/20260101/s3/aws4_request, SignedHeaders=host, Signature=00`,
          ],
        ],
        malformed: ["/key", ["Authorization", `AWS4-HMAC-SHA256 Credential=${key}/x`]],
      } as const;
    };
    const deny = prepared({ envVars: trio });
    for (const [what, [target, headers]] of Object.entries(cases(deny.env))) {
      const plan = deny.set.aws!.plan(target, headers, s3, 443);
      expect(plan.kind, what).toBe("deny");
      expect(plan.kind === "deny" && plan.origin).toBe("default:AWS_ACCESS_KEY_ID");
    }
    const pass = prepared({
      envVars: trio,
      sigv4: { streaming: "passthrough", presigned: "passthrough", sigv4a: "passthrough" },
    });
    const kinds = Object.fromEntries(
      Object.entries(cases(pass.env)).map(([w, [t, h]]) => [w, pass.set.aws!.plan(t, h, s3, 443).kind]),
    );
    expect(kinds).toEqual({ streaming: "none", presigned: "none", sigv4a: "none", malformed: "deny" });
  });

  it("a body srt did not read whole, with a literal hash, cannot be signed again", () => {
    const p = prepared({ envVars: trio });
    const headers = signed(p.env);
    const plan = p.set.aws!.plan("/key", headers, s3, 443);
    if (plan.kind !== "resign") throw new Error(plan.kind);
    expect(resign(plan, "PUT", "/key", headers, "bucket.s3.amazonaws.com", undefined).ok).toBe(false);
  });

  it("awsPairs names other variables; a pair missing a half in the environment is not made", () => {
    const p = compile({
      envVars: [
        { name: "K", mode: "mask" },
        { name: "S", mode: "mask" },
      ],
      awsPairs: [{ accessKeyIdVar: "K", secretAccessKeyVar: "S" }],
    });
    expect(p.policy!.network.masks!.awsPairs).toEqual([
      { accessKeyIdVar: "K", secretAccessKeyVar: "S", origin: "/credentials/awsPairs/0" },
    ]);
    const half = prepareMasks(p.policy!.network.masks!, { env: { S: "x" }, readFile: () => undefined });
    expect(half.set.aws).toBeUndefined();
    expect(half.warnings.join("\n")).toContain("$K is unset");
  });
});
