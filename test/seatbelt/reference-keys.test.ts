/** macOS keys of the reference tool in the Seatbelt profile: allowMachLookup and allowAppleEvents. */
import { describe, expect, it } from "vitest";
import { lowerSeatbelt, renderSeatbelt, validateSbpl } from "../../src/backends/seatbelt/index.js";
import { makePolicy, proxy } from "./policy-fixtures.js";

const base = makePolicy();
const profile = (p = base): string => renderSeatbelt(lowerSeatbelt(p, { proxy }));

describe("reference-tool macOS keys", () => {
  it("allowMachLookup: exact names and prefixes (a trailing *), quoted as strings", () => {
    const p = {
      ...base,
      network: {
        ...base.network,
        machLookup: { names: ['com.a"b', "com.example.*"], origin: "/network/allowMachLookup" as const },
      },
    };
    const sb = profile(p);
    expect(sb).toContain('(global-name "com.a\\"b")');
    expect(sb).toContain('(global-name-prefix "com.example.")');
    expect(validateSbpl(sb)).toEqual([]);
  });
  it("allowAppleEvents: appleevent-send and lsopen only when true", () => {
    const on = {
      ...base,
      options: { ...base.options, allowAppleEvents: { value: true, origin: "/allowAppleEvents" as const } },
    };
    const off = {
      ...base,
      options: { ...base.options, allowAppleEvents: { value: false, origin: "/allowAppleEvents" as const } },
    };
    expect(profile(on)).toMatch(/\(allow appleevent-send lsopen /);
    expect(profile(on)).toContain('(global-name "com.apple.coreservices.appleevents")');
    expect(validateSbpl(profile(on))).toEqual([]);
    expect(profile(off)).not.toMatch(/appleevent|lsopen/);
    expect(profile()).not.toMatch(/appleevent|lsopen|global-name-prefix/);
  });
});
