/**
 * The OCI form of the seccomp filter means what the BPF program means: the
 * shared case table (test/seccomp/cases.ts, written from the design, not
 * from the rule catalog) is evaluated on the JSON with libseccomp's meaning
 * of each compare, for every option set. High argument bits (which the
 * kernel drops for these int arguments) must not get a call past it, so only
 * 32-bit masked compares may appear: a plain SCMP_CMP_EQ compares all 64 bits.
 */
import { describe, expect, it } from "vitest";
import { lowerOciSeccomp, type OciSeccomp } from "../../src/backends/oci/index.js";
import type { SeccompOptions } from "../../src/backends/seccomp/index.js";
import { cases, type Case, type Expect } from "../seccomp/cases.js";

const options = {
  strict: { arch: "x86_64", allowUnixSockets: false, allowNestedUserNamespaces: false },
  unix: { arch: "x86_64", allowUnixSockets: true, allowNestedUserNamespaces: false },
  userns: { arch: "x86_64", allowUnixSockets: false, allowNestedUserNamespaces: true },
} as const satisfies Record<string, SeccompOptions>;

/** libseccomp's reading of a deny-list profile: the first entry naming the call whose every compare holds. */
function verdict(
  profile: OciSeccomp,
  name: string,
  args: readonly bigint[],
  maskOf = (a: { value: number }): bigint => BigInt(a.value),
): Expect {
  for (const s of profile.syscalls) {
    if (!s.names.includes(name)) continue;
    const holds = (s.args ?? []).every((a) => ((args[a.index] ?? 0n) & maskOf(a)) === BigInt(a.valueTwo));
    if (holds) return s.errnoRet === 1 ? "eperm" : s.errnoRet === 38 ? "enosys" : "kill";
  }
  return "allow";
}

const named = cases.filter((c): c is Case & { call: string } => typeof c.call === "string");

describe("seccomp in the OCI runtime-spec form", () => {
  it("the case table has named calls to check", () => expect(named.length).toBeGreaterThan(20));

  it.each(Object.entries(options))("%s: only 32-bit masked compares, only the native ABI", (_, o) => {
    const profile = lowerOciSeccomp(o);
    expect(profile.defaultAction).toBe("SCMP_ACT_ALLOW");
    expect(profile.architectures).toEqual(["SCMP_ARCH_X86_64"]);
    for (const s of profile.syscalls)
      for (const a of s.args ?? []) {
        expect(a.op).toBe("SCMP_CMP_MASKED_EQ");
        expect(a.value).toBeLessThanOrEqual(0xffffffff);
      }
  });

  describe.each(Object.entries(options))("%s", (set, o) => {
    const profile = lowerOciSeccomp(o);
    it.each(named)("$name", (c) => {
      const want = (set === "unix" ? c.unix : set === "userns" ? c.userns : undefined) ?? c.expect;
      expect(verdict(profile, c.call, c.args ?? [])).toBe(want);
    });
  });

  it("a plain 64-bit compare would let socket(0xffffffff00000001) through: this evaluator sees that", () => {
    const profile = lowerOciSeccomp(options.strict);
    const high = (0xffffffffn << 32n) | 1n;
    expect(verdict(profile, "socket", [high, 1n, 0n])).toBe("eperm");
    // What SCMP_CMP_EQ does: all 64 bits compared, so the high bits make the rule miss.
    const eq = (args: readonly bigint[]) => verdict(profile, "socket", args, () => 0xffffffffffffffffn);
    expect(eq([1n, 1n, 0n])).toBe("eperm");
    expect(eq([high, 1n, 0n])).toBe("allow");
  });
});
