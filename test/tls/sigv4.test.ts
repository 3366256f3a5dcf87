/**
 * srt's SigV4 signer against AWS's published examples: the
 * aws-sig-v4-test-suite cases (credentials AKIDEXAMPLE, 20150830T123600Z,
 * us-east-1, service "service") and the IAM ListUsers walk-through of the
 * SigV4 documentation. Inputs and expected outputs are written from the
 * documentation; the signer must match them exactly.
 */
import { describe, expect, it } from "vitest";
import {
  canonicalQuery,
  canonicalUri,
  parseAuthorization,
  sha256Hex,
  sign,
  signingKey,
} from "../../src/runtime/proxy/credentials/sigv4.js";

const secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const scope = { date: "20150830", region: "us-east-1", service: "service" };
const suite = (method: string, target: string) =>
  sign({
    method,
    target,
    headers: ["Host", "example.amazonaws.com", "X-Amz-Date", "20150830T123600Z"],
    signedHeaders: ["host", "x-amz-date"],
    payloadHash: empty,
    amzDate: "20150830T123600Z",
    scope,
    accessKeyId: "AKIDEXAMPLE",
    secret,
  });

describe("SigV4 signer (AWS test vectors)", () => {
  it("get-vanilla", () => {
    const s = suite("GET", "/");
    expect(s.ok && s.canonical).toBe(
      `GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n${empty}`,
    );
    expect(s.ok && s.authorization).toBe(
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
    );
  });

  it("get-vanilla-query-order-key-case: parameters sorted by name", () => {
    const s = suite("GET", "/?Param2=value2&Param1=value1");
    expect(s.ok && s.signature).toBe("b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
  });

  it("post-vanilla", () => {
    const s = suite("POST", "/");
    expect(s.ok && s.signature).toBe("5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
  });

  it("the IAM ListUsers example: signing key, canonical request, signature", () => {
    const iam = { date: "20150830", region: "us-east-1", service: "iam" };
    expect(signingKey(secret, iam).toString("hex")).toBe(
      "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9",
    );
    const s = sign({
      method: "GET",
      target: "/?Action=ListUsers&Version=2010-05-08",
      headers: [
        "Host",
        "iam.amazonaws.com",
        "Content-Type",
        "application/x-www-form-urlencoded; charset=utf-8",
        "X-Amz-Date",
        "20150830T123600Z",
      ],
      signedHeaders: ["content-type", "host", "x-amz-date"],
      payloadHash: sha256Hex(""),
      amzDate: "20150830T123600Z",
      scope: iam,
      accessKeyId: "AKIDEXAMPLE",
      secret,
    });
    expect(s.ok && sha256Hex(s.canonical)).toBe("f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59");
    expect(s.ok && s.signature).toBe("5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7");
  });

  it("canonical URI and query: dot segments, double encoding outside S3, strict query encoding", () => {
    expect(canonicalUri("/example/..", "service")).toBe("/");
    expect(canonicalUri("/./", "service")).toBe("/");
    expect(canonicalUri("/example/../b", "service")).toBe("/b");
    expect(canonicalUri("/a%20b", "service")).toBe("/a%2520b");
    expect(canonicalUri("/a%20b/../c", "s3")).toBe("/a%20b/../c");
    expect(canonicalQuery("b=2&a=%2A&a=1&c")).toBe("a=%2A&a=1&b=2&c=");
  });

  it("a signed header missing from the request is refused, not signed empty", () => {
    const s = sign({
      method: "GET",
      target: "/",
      headers: ["Host", "h"],
      signedHeaders: ["host", "x-amz-date"],
      payloadHash: empty,
      amzDate: "20150830T123600Z",
      scope,
      accessKeyId: "A",
      secret,
    });
    expect(s.ok).toBe(false);
  });

  it("parses the Authorization header it writes, and refuses malformed ones", () => {
    const s = suite("GET", "/");
    const p = s.ok ? parseAuthorization(s.authorization) : undefined;
    expect(p).toEqual({
      accessKeyId: "AKIDEXAMPLE",
      scope,
      signedHeaders: ["host", "x-amz-date"],
      signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
    });
    expect(parseAuthorization("AWS4-HMAC-SHA256 Credential=A/20150830/r/s, SignedHeaders=host, Signature=00")).toBe(
      undefined,
    );
    expect(parseAuthorization("Basic abc")).toBe(undefined);
  });
});
