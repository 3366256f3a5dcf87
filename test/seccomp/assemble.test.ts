/** The label assembler and the byte encoding, on hand-written programs. */
import * as fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  assemble,
  bpf,
  encodeInsn,
  type Insn,
  type SeccompProgram,
  type SymbolicInsn,
} from "../../src/backends/seccomp/index.js";
import { encodeSeccomp } from "../../src/backends/seccomp/index.js";
import { decode, evaluate, verify } from "./bpf-interpreter.js";

const { allow, eperm, enosys, ja, jeq, jset, label, ldArgLow, ldNr, next, ret, to } = bpf;

const bytes = (instructions: readonly Insn[]): Uint8Array =>
  encodeSeccomp({
    arch: "x86_64",
    options: { arch: "x86_64", allowUnixSockets: false, allowNestedUserNamespaces: false },
    rules: [],
    instructions,
  } satisfies SeccompProgram);

const filler = (n: number): SymbolicInsn[] => Array.from({ length: n }, () => ldNr("filler"));

describe("assemble", () => {
  it("resolves labels to forward offsets and keeps fall-through", () => {
    const out = assemble([ldNr(), jeq(7, to("deny"), next), ret(allow), label("deny"), ret(eperm)]);
    expect(out[1]).toMatchObject({ op: "jmp", jt: 1, jf: 0 });
    const b = bytes(out);
    expect(evaluate(b, { nr: 7, arch: 0 })).toEqual({ action: "errno", errno: 1 });
    expect(evaluate(b, { nr: 8, arch: 0 })).toEqual({ action: "allow" });
  });

  it.each([
    { name: "jt far", jt: "far", jf: "near" },
    { name: "jf far", jt: "near", jf: "far" },
    { name: "both far", jt: "far", jf: "far2" },
  ])("inserts long jumps when a conditional target is more than 255 away ($name)", ({ jt, jf }) => {
    const program: SymbolicInsn[] = [
      ldNr(),
      jeq(7, to(jt), to(jf)),
      label("near"),
      ret(allow, "near"),
      ...filler(300),
      ret(allow),
      label("far"),
      ret(eperm, "far"),
      label("far2"),
      ret(enosys, "far2"),
    ];
    const out = assemble(program);
    expect(out.some((i) => i.op === "ja")).toBe(true);
    for (const i of out) if (i.op === "jmp") expect(Math.max(i.jt, i.jf)).toBeLessThanOrEqual(255);
    const b = bytes(out);
    verify(decode(b));
    const where = (t: string) =>
      t === "near" ? { action: "allow" } : t === "far" ? { action: "errno", errno: 1 } : { action: "errno", errno: 38 };
    expect(evaluate(b, { nr: 7, arch: 0 })).toEqual(where(jt));
    expect(evaluate(b, { nr: 6, arch: 0 })).toEqual(where(jf));
  });

  it("keeps every branch right when trampolines push other jumps out of reach", () => {
    // 40 checks all jumping over the same long body: inserting a trampoline for one
    // lengthens the others, which must then get their own.
    const checks: SymbolicInsn[] = [];
    for (let n = 0; n < 40; n++) checks.push(jeq(1000 + n, to(n % 2 === 0 ? "deny" : "nosys"), next));
    const out = assemble([
      ldNr(),
      ...checks,
      ...filler(250),
      ret(allow),
      label("deny"),
      ret(eperm),
      label("nosys"),
      ret(enosys),
    ]);
    const b = bytes(out);
    verify(decode(b));
    for (let n = 0; n < 40; n++) {
      expect(evaluate(b, { nr: 1000 + n, arch: 0 })).toEqual(
        n % 2 === 0 ? { action: "errno", errno: 1 } : { action: "errno", errno: 38 },
      );
    }
    expect(evaluate(b, { nr: 999, arch: 0 })).toEqual({ action: "allow" });
  });

  it("assembled random programs behave like their symbolic form, however far the jumps", () => {
    // Blocks B0..Bn: each either tests nr and branches to two later blocks, or returns errno(i+1);
    // random padding between blocks pushes some branches past the 8-bit limit.
    let withLongJumps = 0;
    const block = fc.record({
      ret: fc.boolean(),
      k: fc.nat({ max: 7 }),
      t: fc.nat(),
      f: fc.nat(),
      pad: fc.nat({ max: 140 }),
    });
    fc.assert(
      fc.property(fc.array(block, { minLength: 1, maxLength: 12 }), fc.nat({ max: 7 }), (blocks, nr) => {
        const n = blocks.length;
        const later = (i: number, r: number): string => `B${i + 1 + (r % (n - i))}`;
        const program: SymbolicInsn[] = [ldNr()];
        blocks.forEach((b, i) => {
          program.push(label(`B${i}`));
          if (b.ret || i === n - 1) program.push(ret(bpf.errno(i + 1)));
          else program.push(jeq(b.k, to(later(i, b.t)), to(later(i, b.f))), ...filler(b.pad), ret(allow));
        });
        program.push(label(`B${n}`), ret(bpf.killProcess));
        // Symbolic evaluation: follow labels directly.
        let at = 0;
        let want: string | undefined;
        for (let guard = 0; want === undefined && guard < 100; guard++) {
          const b = blocks[at];
          if (b === undefined) want = "kill-process";
          else if (b.ret || at === n - 1) want = `errno ${at + 1}`;
          else at = Number((nr === b.k ? later(at, b.t) : later(at, b.f)).slice(1));
        }
        const out = assemble(program);
        if (out.some((i) => i.op === "ja")) withLongJumps++;
        const got = evaluate(bytes(out), { nr, arch: 0 });
        expect(got.action === "errno" ? `errno ${got.errno}` : got.action).toBe(want);
      }),
      { numRuns: 300 },
    );
    expect(withLongJumps, "some generated programs needed trampolines").toBeGreaterThan(20);
  });

  it("fails loudly on programs the kernel would reject or that would be miscompiled", () => {
    expect(() => assemble([ldNr(), jeq(1, to("nowhere"), next), ret(allow)])).toThrow(/unknown label/);
    expect(() => assemble([label("back"), ldNr(), jeq(1, to("back"), next), ret(allow)])).toThrow(/backward jump/);
    expect(() => assemble([ldNr(), ja(to("x")), label("x"), label("x"), ret(allow)])).toThrow(/duplicate label/);
    expect(() => assemble([ldNr()])).toThrow(/does not end with ret/);
    expect(() => assemble([...filler(4096), ret(allow)])).toThrow(/program length/);
    expect(() => jeq(2 ** 32, next, next)).toThrow(/not a u32/);
    expect(() => ret(bpf.errno(70000))).not.toThrow();
    expect(() => assemble([ret(bpf.errno(70000))]).map(encodeInsn)).toThrow(/errno/);
  });
});

describe("encoding", () => {
  it("writes struct sock_filter little-endian: u16 code, u8 jt, u8 jf, u32 k", () => {
    const out = assemble([ldArgLow(1), jset(0x10000000, to("deny"), next), ret(allow), label("deny"), ret(eperm)]);
    expect([...bytes(out)]).toEqual([
      0x20,
      0x00,
      0x00,
      0x00,
      0x18,
      0x00,
      0x00,
      0x00, // ld [24]: low word of args[1]
      0x45,
      0x00,
      0x01,
      0x00,
      0x00,
      0x00,
      0x00,
      0x10, // jset #0x10000000 jt +1 jf +0
      0x06,
      0x00,
      0x00,
      0x00,
      0x00,
      0x00,
      0xff,
      0x7f, // ret SECCOMP_RET_ALLOW
      0x06,
      0x00,
      0x00,
      0x00,
      0x01,
      0x00,
      0x05,
      0x00, // ret SECCOMP_RET_ERRNO | EPERM
    ]);
  });

  it("encodes kill-process and ja", () => {
    const out = assemble([ja(to("k")), ret(allow), label("k"), ret(bpf.killProcess)]);
    expect(out.map(encodeInsn)).toEqual([
      { code: 0x05, jt: 0, jf: 0, k: 1 },
      { code: 0x06, jt: 0, jf: 0, k: 0x7fff0000 },
      { code: 0x06, jt: 0, jf: 0, k: 0x80000000 },
    ]);
  });
});
