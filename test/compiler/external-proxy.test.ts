// A side sent to the user's own proxy (httpProxyPort, socksProxyPort) never passes srt's
// proxy, so keys only srt's proxy carries out are refused with it (SRT448), each at its key.
import { describe, expect, it } from "vitest";
import { compileFixture, loadFixture } from "../support/fixtures.js";

const base = loadFixture("external-proxy-conflicts");
const codesAt = (settings: unknown) =>
  compileFixture(base, JSON.stringify(settings))
    .diagnostics.filter((d) => d.code === "SRT448")
    .map((d) => d.pointer)
    .sort();

describe("own proxy ports and srt-only keys", () => {
  it("every srt-only key is refused with httpProxyPort, and nothing compiles", () => {
    const r = compileFixture(base);
    expect(r.policy).toBeUndefined();
    expect(r.diagnostics.filter((d) => d.code === "SRT448").map((d) => d.pointer)).toEqual(
      expect.arrayContaining([
        "/network/tlsTerminate",
        "/network/requireHostMatch",
        "/network/stripResponseHeaders",
        "/network/ambiguousRequestTarget",
        "/credentials/envVars/0",
      ]),
    );
  });

  it("socksProxyPort alone conflicts only with refuseOpaqueTunnels (it promises SOCKS is refused)", () => {
    const network = { allowedDomains: ["a.example"], socksProxyPort: 1080, tlsTerminate: {} };
    expect(codesAt({ network })).toEqual([]);
    expect(codesAt({ network: { ...network, refuseOpaqueTunnels: true } })).toEqual(["/network/refuseOpaqueTunnels"]);
  });

  it("httpProxyPort with none of those keys compiles, and so do those keys without it", () => {
    expect(codesAt({ network: { allowedDomains: ["a.example"], httpProxyPort: 3128, socksProxyPort: 1080 } })).toEqual(
      [],
    );
    const r = compileFixture(
      base,
      JSON.stringify({ network: { allowedDomains: ["a.example"], tlsTerminate: {}, requireHostMatch: true } }),
    );
    expect(r.diagnostics.filter((d) => d.code === "SRT448")).toEqual([]);
    expect(r.policy).toBeDefined();
  });

  it("flags set to false conflict with nothing", () => {
    const network = { allowedDomains: ["a.example"], httpProxyPort: 3128 };
    expect(codesAt({ network: { ...network, requireHostMatch: false, allowPlaintextHeaderSet: false } })).toEqual([]);
    expect(codesAt({ network: { ...network, allowPlaintextHeaderSet: true } })).toEqual([
      "/network/allowPlaintextHeaderSet",
    ]);
  });
});
