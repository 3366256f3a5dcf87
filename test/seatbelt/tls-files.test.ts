/**
 * network.tlsTerminate in the Seatbelt profile: the command may read srt's
 * CA certificate and trust bundle (two files in the run directory, passed as
 * parameters) whatever the read denies say, and may write neither whatever
 * the write allows say. Checked with the toy evaluator (a model of Seatbelt's
 * last-match rule, not macOS) and the structural validator; the profile has
 * not been loaded by sandbox-exec from here.
 */
import { describe, expect, it } from "vitest";
import {
  lowerSeatbelt,
  paramsOf,
  renderSeatbelt,
  seatbeltParams,
  validateSbpl,
} from "../../src/backends/seatbelt/index.js";
import type { TlsTerminatePolicy } from "../../src/compiler/ir.js";
import { createEvaluator, type FileOp } from "./evaluate.js";
import { makePolicy, pathRule, proxy } from "./policy-fixtures.js";

const temp = "/private/var/folders/x/T";
const run = `${temp}/srt-AAAAA1`;
const params = {
  SRT_PRIVATE_TMP: `${run}/tmp`,
  SRT_TLS_CA: `${run}/srt-ca.pem`,
  SRT_TLS_BUNDLE: `${run}/srt-ca-bundle.pem`,
};
const tlsTerminate: TlsTerminatePolicy = {
  excludeDomains: [],
  extraCaCertPaths: [],
  maxTunnels: 256,
  handshakeTimeoutMs: 10_000,
  origin: "/network/tlsTerminate",
};
// The worst cases around the files: the whole temp root unreadable, or writable (a read deny denies writing too).
const unreadable = [pathRule("read", "deny", temp, { origin: "/filesystem/denyRead/0" })];
const writable = [pathRule("write", "allow", temp, { origin: "/filesystem/allowWrite/0" })];
const writes: readonly FileOp[] = ["file-write-data", "file-write-create", "file-write-unlink"];

describe("Seatbelt: srt's CA files under tlsTerminate (evaluator model, not macOS)", () => {
  const profileOf = (rules: typeof unreadable, tls = true): string =>
    renderSeatbelt(lowerSeatbelt(makePolicy({ rules, network: tls ? { tlsTerminate } : {} }), { proxy }));
  const profile = profileOf(unreadable);
  const verdict = createEvaluator(profile, params);
  const writeVerdict = createEvaluator(profileOf(writable), params);

  it("reads the parameters sandbox-exec must pass, and validates", () => {
    expect(paramsOf(makePolicy({ network: { tlsTerminate } }))).toEqual([
      seatbeltParams.privateTmp,
      seatbeltParams.tlsCa,
      seatbeltParams.tlsBundle,
    ]);
    for (const p of Object.keys(params)) expect(profile).toContain(`(param "${p}")`);
    expect(validateSbpl(profile)).toEqual([]);
  });

  it("lets the command read exactly the two files, inside a read-denied temp root", () => {
    for (const f of [params.SRT_TLS_CA, params.SRT_TLS_BUNDLE]) {
      expect(verdict("file-read-data", f), f).toBe("allow");
      expect(verdict("file-read-metadata", f), f).toBe("allow");
    }
    // Their neighbours stay under the policy's deny: the profile, another run's files, a name beside them.
    for (const f of [`${run}/profile.sb`, `${run}/srt-ca.pem.bak`, `${temp}/srt-BBBBB2/srt-ca.pem`, run])
      expect(verdict("file-read-data", f), f).toBe("deny");
  });

  it("lets the command write neither file, inside a writable temp root", () => {
    for (const f of [params.SRT_TLS_CA, params.SRT_TLS_BUNDLE])
      for (const op of writes) expect(writeVerdict(op, f), `${op} ${f}`).toBe("deny");
    // The allowWrite root itself still holds around them.
    expect(writeVerdict("file-write-create", `${run}/other.txt`)).toBe("allow");
    expect(writeVerdict("file-read-data", params.SRT_TLS_CA)).toBe("allow");
  });

  it("without tlsTerminate nothing names the files: the read deny and the write allow hold for them", () => {
    expect(paramsOf(makePolicy({ rules: unreadable }))).toEqual([seatbeltParams.privateTmp]);
    expect(profileOf(unreadable, false)).not.toContain("SRT_TLS_");
    const tmpOnly = { SRT_PRIVATE_TMP: params.SRT_PRIVATE_TMP };
    expect(createEvaluator(profileOf(unreadable, false), tmpOnly)("file-read-data", params.SRT_TLS_CA)).toBe("deny");
    expect(createEvaluator(profileOf(writable, false), tmpOnly)("file-write-data", params.SRT_TLS_CA)).toBe("allow");
  });
});
