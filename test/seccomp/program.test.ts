/**
 * The generated programs, run as rendered bytes through an independent BPF
 * interpreter: table-driven syscall cases for both arches and every option
 * set, a reference model checked on random seccomp_data, and structural
 * properties of the bytes (no high-word loads, kernel-loadable, deterministic).
 */
import * as fc from "fast-check";
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { unavailable } from "../support/requirements.js";
import { hostSeccompArch } from "../../src/runtime/host-arch.js";
import {
  buildSeccomp,
  disassembleSeccomp,
  encodeSeccomp,
  seccompOptionsFromPolicy,
  seccompArches,
  seccompArchOf,
  syscallNames,
  syscallNumber,
  type SeccompArch,
  type SeccompOptions,
} from "../../src/backends/seccomp/index.js";
import type { Policy } from "../../src/compiler/ir.js";
import { decode, evaluate, verify, type Verdict } from "./bpf-interpreter.js";
import { cases, numberOf, type Expect } from "./cases.js";

const AUDIT_ARCH_X86_64 = 0xc000003e;
const AUDIT_ARCH_I386 = 0x40000003;
const AUDIT_ARCH_AARCH64 = 0xc00000b7;
const AUDIT_ARCH_ARM = 0x40000028;
const native: Record<SeccompArch, number> = { x86_64: AUDIT_ARCH_X86_64, aarch64: AUDIT_ARCH_AARCH64 };
const foreign: Record<SeccompArch, readonly number[]> = {
  x86_64: [AUDIT_ARCH_I386, AUDIT_ARCH_AARCH64, AUDIT_ARCH_ARM, 0],
  aarch64: [AUDIT_ARCH_ARM, AUDIT_ARCH_X86_64, AUDIT_ARCH_I386, 0],
};

const optionSets = [
  { label: "default", allowUnixSockets: false, allowNestedUserNamespaces: false },
  { label: "allowUnixSockets", allowUnixSockets: true, allowNestedUserNamespaces: false },
  { label: "allowNestedUserNamespaces", allowUnixSockets: false, allowNestedUserNamespaces: true },
  { label: "both", allowUnixSockets: true, allowNestedUserNamespaces: true },
] as const;

const bytesFor = (opts: SeccompOptions): Uint8Array => encodeSeccomp(buildSeccomp(opts));

function short(v: Verdict): Expect | string {
  if (v.action === "allow") return "allow";
  if (v.action === "kill-process") return "kill";
  if (v.action === "errno" && v.errno === 1) return "eperm";
  if (v.action === "errno" && v.errno === 38) return "enosys";
  if (v.action === "other" && v.value >>> 0 === 0x7fc00000) return "notify";
  return JSON.stringify(v);
}

describe.each(seccompArches)("seccomp program for %s", (arch) => {
  describe.each(optionSets)("options: $label", ({ allowUnixSockets, allowNestedUserNamespaces }) => {
    const bytes = bytesFor({ arch, allowUnixSockets, allowNestedUserNamespaces });
    it.each(cases)("$name", (c) => {
      let want = c.expect;
      if (allowUnixSockets && c.unix !== undefined) want = c.unix;
      if (allowNestedUserNamespaces && c.userns !== undefined) want = c.userns;
      const got = evaluate(bytes, { nr: numberOf(c, arch), arch: native[arch], args: c.args ?? [] });
      expect(short(got)).toBe(want);
    });
    it("kills every call made through a foreign ABI, whatever the syscall", () => {
      for (const a of foreign[arch]) {
        for (const c of cases)
          expect(short(evaluate(bytes, { nr: numberOf(c, arch), arch: a, args: c.args ?? [] }))).toBe("kill");
      }
    });
  });

  it("loads only nr, arch and the low words of arguments", () => {
    for (const o of optionSets) {
      for (const f of decode(bytesFor({ ...o, arch }))) {
        if (f.code !== 0x20) continue; // ld w abs
        const lowWordOfArg = f.k >= 16 && f.k < 64 && (f.k - 16) % 8 === 0;
        expect(f.k === 0 || f.k === 4 || lowWordOfArg, `ld [${f.k}]`).toBe(true);
      }
    }
  });

  it("checks the architecture before anything else", () => {
    const [first, second] = decode(bytesFor({ arch, allowUnixSockets: false, allowNestedUserNamespaces: false }));
    expect(first).toEqual({ code: 0x20, jt: 0, jf: 0, k: 4 });
    expect(second).toMatchObject({ code: 0x15, k: native[arch] });
  });

  it("is accepted by the kernel's classic-BPF/seccomp checks", () => {
    for (const o of optionSets) expect(() => verify(decode(bytesFor({ ...o, arch })))).not.toThrow();
  });
});

describe("x32 ABI", () => {
  const x86 = bytesFor({ arch: "x86_64", allowUnixSockets: true, allowNestedUserNamespaces: true });
  it.each([0x40000000, 0x40000001, 0x40000000 | 41, 0x40000000 | 39, 0x7fffffff, -1])("x86_64 kills nr %i", (nr) => {
    expect(short(evaluate(x86, { nr, arch: AUDIT_ARCH_X86_64 }))).toBe("kill");
  });
  it("x86_64 allows the native number just below the x32 bit", () => {
    expect(short(evaluate(x86, { nr: 0x3fffffff, arch: AUDIT_ARCH_X86_64 }))).toBe("allow");
  });
  it("aarch64 has no x32 ABI: the bit is not special there (the kernel answers ENOSYS)", () => {
    const arm = bytesFor({ arch: "aarch64", allowUnixSockets: false, allowNestedUserNamespaces: false });
    expect(short(evaluate(arm, { nr: 0x40000000 | 39, arch: AUDIT_ARCH_AARCH64 }))).toBe("allow");
  });
});

/** An independent statement of the rules (DESIGN.md §3), compared with the program on random input. */
function reference(
  arch: SeccompArch,
  o: SeccompOptions,
  d: { nr: number; arch: number; args: readonly bigint[] },
): Expect {
  if (d.arch !== native[arch]) return "kill";
  if (arch === "x86_64" && d.nr >>> 0 >= 0x40000000) return "kill";
  const low = (i: number): number => Number(BigInt.asUintN(32, d.args[i] ?? 0n));
  const name = syscallNames.find((n) => syscallNumber(arch, n) === d.nr);
  const scoped = o.unixSocketPaths === true && !o.allowUnixSockets;
  const creating = o.supervised === true ? "notify" : "allow";
  switch (name) {
    case "socket":
      if (low(0) === 40) return "eperm";
      if (low(0) !== 1 || o.allowUnixSockets) return "allow";
      // Path-scoped: stream and seqpacket sockets reach connect(), which the supervisor checks.
      return scoped && ((low(1) & 0xf) === 1 || (low(1) & 0xf) === 5) ? "allow" : "eperm";
    case "connect":
      return scoped ? "notify" : "allow";
    // O_CREAT, or opening for writing: O_WRONLY, O_RDWR, O_TRUNC.
    case "open":
      return (low(1) & (0x40 | 0x1 | 0x2 | 0x200)) !== 0 ? creating : "allow";
    case "openat":
      return (low(2) & (0x40 | 0x1 | 0x2 | 0x200)) !== 0 ? creating : "allow";
    case "openat2":
    case "bind":
    case "truncate":
    case "unlink":
    case "unlinkat":
    case "rmdir":
      return creating;
    // Only a mode with an execute bit makes anything new runnable.
    case "chmod":
    case "fchmod":
      return (low(1) & 0o111) !== 0 ? creating : "allow";
    case "fchmodat":
    case "fchmodat2":
      return (low(2) & 0o111) !== 0 ? creating : "allow";
    case "creat":
    case "mkdir":
    case "mkdirat":
    case "mknod":
    case "mknodat":
    case "rename":
    case "renameat":
    case "renameat2":
    case "link":
    case "linkat":
    case "symlink":
    case "symlinkat":
      return creating;
    case "socketpair":
      // Stream (1) and seqpacket (5) pairs stay connected to their peer; any other type of AF_UNIX pair is refused.
      return low(0) === 1 && (low(1) & 0xf) !== 1 && (low(1) & 0xf) !== 5 && !o.allowUnixSockets ? "eperm" : "allow";
    case "ioctl":
      return low(1) === 0x5412 || low(1) === 0x541c ? "eperm" : "allow";
    case "unshare":
    case "clone":
      return (low(0) & 0x10000000) !== 0 && !o.allowNestedUserNamespaces ? "eperm" : "allow";
    case "clone3":
      return "enosys";
    case undefined:
      return "allow";
    default:
      return "eperm";
  }
}

describe("reference model on random seccomp_data", () => {
  const low = fc.oneof(
    fc.constantFrom(
      0,
      1,
      2,
      3,
      5,
      10,
      16,
      40,
      0x5412,
      0x541c,
      0x10000000,
      0x10000011,
      0x80801,
      0x80802,
      0x3d0f00,
      0xffffffff,
    ),
    fc.nat({ max: 0xffffffff }),
  );
  const high = fc.oneof(fc.constant(0), fc.constant(0xffffffff), fc.nat({ max: 0xffffffff }));
  const arg = fc.tuple(high, low).map(([h, l]) => (BigInt(h) << 32n) | BigInt(l));
  it.each(seccompArches)("%s: the program agrees with the reference", (arch) => {
    const ruleNrs = syscallNames.flatMap((n) => syscallNumber(arch, n) ?? []);
    const nr = fc.oneof(fc.constantFrom(...ruleNrs), fc.nat({ max: 600 }), fc.integer({ min: -2, max: 0x7fffffff }));
    const archValue = fc.oneof(
      fc.constant(native[arch]),
      fc.constant(native[arch]),
      fc.constantFrom(...foreign[arch]),
      fc.nat({ max: 0xffffffff }),
    );
    const options = fc.record({
      allowUnixSockets: fc.boolean(),
      allowNestedUserNamespaces: fc.boolean(),
      supervised: fc.boolean(),
      unixSocketPaths: fc.boolean(),
    });
    const programs = new Map<string, Uint8Array>();
    fc.assert(
      fc.property(options, nr, archValue, fc.array(arg, { minLength: 6, maxLength: 6 }), (o, n, a, args) => {
        const opts = { arch, ...o };
        const key = JSON.stringify(o);
        const bytes = programs.get(key) ?? bytesFor(opts);
        programs.set(key, bytes);
        expect(short(evaluate(bytes, { nr: n, arch: a, args }))).toBe(reference(arch, opts, { nr: n, arch: a, args }));
      }),
      { numRuns: 3000 },
    );
  });
});

describe("architectures", () => {
  it("Node's x64 and arm64 map to the two seccomp ABIs; anything else has none (and the host lookup says so)", () => {
    expect(["x64", "arm64", "ia32", "arm", "riscv64"].map(seccompArchOf)).toEqual([
      "x86_64",
      "aarch64",
      undefined,
      undefined,
      undefined,
    ]);
    expect(hostSeccompArch("arm64")).toBe("aarch64");
    expect(() => hostSeccompArch("ia32")).toThrow(/unsupported architecture ia32/);
  });
});

/** Path syscalls that only x86_64 has: aarch64's libc uses the *at forms. */
const legacyOnly: readonly string[] = [
  "open",
  "creat",
  "mkdir",
  "mknod",
  "rename",
  "renameat",
  "link",
  "symlink",
  "chmod",
  "unlink",
  "rmdir",
];
/** Syscalls newer than some headers still installed (fchmodat2: Linux 6.6); checked where the header has them. */
const newerThanHeaders: readonly string[] = ["fchmodat2"];

describe("syscall numbers", () => {
  // The tables in src were typed in by hand; check them against the kernel headers installed here.
  const headers: Record<SeccompArch, string> = {
    x86_64: "/usr/include/x86_64-linux-gnu/asm/unistd_64.h",
    aarch64: "/usr/include/asm-generic/unistd.h", // arm64 uses the generic table
  };
  for (const arch of seccompArches)
    if (!existsSync(headers[arch]))
      unavailable(`${arch} syscall numbers: ${headers[arch]} is not installed (linux-libc-dev)`);
  it.each(seccompArches.filter((arch) => existsSync(headers[arch])))("%s matches the kernel UAPI header", (arch) => {
    const file = headers[arch];
    const text = readFileSync(file, "utf8");
    for (const name of syscallNames) {
      // asm-generic keeps renameat only for arches that want it (__ARCH_WANT_RENAMEAT); arm64 does not.
      if (syscallNumber(arch, name) === undefined) {
        expect(arch === "aarch64" && legacyOnly.includes(name), `${arch} ${name}`).toBe(true);
        continue;
      }
      const m = new RegExp(`#define __NR(?:3264)?_${name}\\s+(\\d+)\\b`).exec(text);
      if (m === null && newerThanHeaders.includes(name)) continue;
      expect(m?.[1], `${arch} ${name}`).toBe(String(syscallNumber(arch, name)));
    }
  });
});

describe("determinism and origins", () => {
  it("builds identical bytes and listings twice", () => {
    for (const arch of seccompArches) {
      const o = { arch, allowUnixSockets: false, allowNestedUserNamespaces: false };
      expect(encodeSeccomp(buildSeccomp(o))).toEqual(encodeSeccomp(buildSeccomp(o)));
      expect(disassembleSeccomp(buildSeccomp(o))).toBe(disassembleSeccomp(buildSeccomp(o)));
    }
  });

  const policy = (unix: boolean, userns: boolean): Policy =>
    ({
      network: { allowAllUnixSockets: { value: unix, origin: "/network/allowAllUnixSockets" }, unixSockets: [] },
      options: { allowNestedUserNamespaces: { value: userns, origin: "default:options.allowNestedUserNamespaces" } },
    }) as unknown as Policy;

  it("takes the switches and their origins from the policy", () => {
    expect(seccompOptionsFromPolicy(policy(true, false), "aarch64")).toEqual({
      arch: "aarch64",
      allowUnixSockets: true,
      allowNestedUserNamespaces: false,
      supervised: true,
      unixSocketPaths: false,
      origins: {
        allowUnixSockets: "/network/allowAllUnixSockets",
        allowNestedUserNamespaces: "default:options.allowNestedUserNamespaces",
      },
    });
  });

  it("origins change comments, never bytes", () => {
    const withOrigins = buildSeccomp(seccompOptionsFromPolicy(policy(false, false), "x86_64"));
    const without = buildSeccomp({
      arch: "x86_64",
      allowUnixSockets: false,
      allowNestedUserNamespaces: false,
      supervised: true,
      unixSocketPaths: false,
    });
    expect(encodeSeccomp(withOrigins)).toEqual(encodeSeccomp(without));
  });

  it("the listing names every rule, its state and the setting that relaxed it", () => {
    const text = disassembleSeccomp(buildSeccomp(seccompOptionsFromPolicy(policy(true, false), "x86_64")));
    expect(text).toMatch(/^# seccomp filter · arch x86_64 · \d+ instructions · \d+ bytes$/m);
    expect(text).toMatch(/relaxed +unix-socket: .*allowUnixSockets=true at \/network\/allowAllUnixSockets/);
    expect(text).toMatch(
      /enforced user-namespace: .*allowNestedUserNamespaces=false at default:options\.allowNestedUserNamespaces/,
    );
    expect(text).toContain(
      "[user-namespace; allowNestedUserNamespaces=false at default:options.allowNestedUserNamespaces] clone(flags & CLONE_NEWUSER) → EPERM",
    );
    const listing = text.split("\n").filter((l) => /^\s*\d+: /.test(l));
    expect(listing.length).toBe(
      buildSeccomp(seccompOptionsFromPolicy(policy(true, false), "x86_64")).instructions.length,
    );
    listing.forEach((line, i) => {
      expect(line).toMatch(new RegExp(`^\\s*${i}: \\w+ .* ; \\S`));
    });
    // Jump targets are printed as absolute, in-range instruction indexes.
    for (const m of text.matchAll(/jt (\d+)\s+jf (\d+)/g)) expect(Number(m[1])).toBeLessThan(listing.length);
  });

  it("relaxing a switch only removes instructions for the rules it names", () => {
    for (const arch of seccompArches) {
      const strict = buildSeccomp({ arch, allowUnixSockets: false, allowNestedUserNamespaces: false });
      const loose = buildSeccomp({ arch, allowUnixSockets: true, allowNestedUserNamespaces: true });
      expect(loose.instructions.length).toBeLessThan(strict.instructions.length);
      expect(loose.rules.filter((r) => r.state === "relaxed").map((r) => r.rule.id)).toEqual([
        "unix-socket",
        "unix-socketpair",
        "user-namespace",
      ]);
    }
  });
});
