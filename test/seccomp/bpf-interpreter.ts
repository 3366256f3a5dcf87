/**
 * A small classic-BPF interpreter for seccomp programs, written independently
 * of the compiler: it reads the *rendered bytes* (what bwrap hands the kernel),
 * checks them the way the kernel's loader does (bpf_check_classic +
 * seccomp_check_filter), and runs them over a struct seccomp_data. It covers
 * every instruction seccomp accepts, not only the ones the compiler emits, so
 * it does not share the compiler's assumptions.
 */

export interface SeccompData {
  readonly nr: number;
  readonly arch: number;
  readonly ip?: bigint;
  /** Up to six 64-bit arguments; missing ones are 0. */
  readonly args?: readonly bigint[];
}

export interface Filter {
  readonly code: number;
  readonly jt: number;
  readonly jf: number;
  readonly k: number;
}

export type Verdict =
  | { readonly action: "allow" }
  | { readonly action: "errno"; readonly errno: number }
  | { readonly action: "kill-process" }
  | { readonly action: "kill-thread" }
  | { readonly action: "other"; readonly value: number };

const SECCOMP_DATA_SIZE = 64;
const BPF_MEMWORDS = 16;

export function decode(bytes: Uint8Array): Filter[] {
  if (bytes.length === 0 || bytes.length % 8 !== 0)
    throw new Error(`filter length ${bytes.length} is not a multiple of 8`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Filter[] = [];
  for (let at = 0; at < bytes.length; at += 8) {
    out.push({
      code: view.getUint16(at, true),
      jt: view.getUint8(at + 2),
      jf: view.getUint8(at + 3),
      k: view.getUint32(at + 4, true),
    });
  }
  return out;
}

const cls = (code: number): number => code & 0x07;
const size = (code: number): number => code & 0x18;
const mode = (code: number): number => code & 0xe0;
const op = (code: number): number => code & 0xf0;
const src = (code: number): number => code & 0x08;

/** What the kernel would refuse to load; throws with the reason. */
export function verify(prog: readonly Filter[]): void {
  if (prog.length === 0 || prog.length > 4096) throw new Error(`bad length ${prog.length}`);
  prog.forEach((f, pc) => {
    const c = cls(f.code);
    const far = (off: number): boolean => pc + 1 + off >= prog.length;
    if (c === 0x00 || c === 0x01) {
      // seccomp allows only 32-bit absolute loads inside seccomp_data, plus LEN/IMM/MEM.
      if (mode(f.code) === 0x20) {
        if (c !== 0x00 || size(f.code) !== 0x00) throw new Error(`#${pc}: only ld w abs is allowed`);
        if (f.k % 4 !== 0 || f.k >= SECCOMP_DATA_SIZE) throw new Error(`#${pc}: bad seccomp_data offset ${f.k}`);
      } else if (mode(f.code) === 0x60 && f.k >= BPF_MEMWORDS) throw new Error(`#${pc}: bad scratch slot`);
      else if (![0x00, 0x60, 0x80].includes(mode(f.code)))
        throw new Error(`#${pc}: load mode ${mode(f.code)} not allowed`);
    } else if (c === 0x05) {
      if (op(f.code) === 0x00) {
        if (far(f.k)) throw new Error(`#${pc}: ja out of range`);
      } else if (far(f.jt) || far(f.jf)) throw new Error(`#${pc}: jump out of range`);
    } else if (c === 0x04) {
      if ((op(f.code) === 0x30 || op(f.code) === 0x90) && src(f.code) === 0 && f.k === 0)
        throw new Error(`#${pc}: division by 0`);
    }
  });
  const last = prog[prog.length - 1];
  if (last === undefined || cls(last.code) !== 0x06) throw new Error("program does not end with ret");
}

function seccompData(d: SeccompData): DataView {
  const view = new DataView(new ArrayBuffer(SECCOMP_DATA_SIZE));
  view.setInt32(0, d.nr | 0, true);
  view.setUint32(4, d.arch >>> 0, true);
  view.setBigUint64(8, d.ip ?? 0n, true);
  (d.args ?? []).forEach((a, i) => view.setBigUint64(16 + 8 * i, BigInt.asUintN(64, a), true));
  return view;
}

/** Runs the program; returns the raw 32-bit return value. */
export function run(prog: readonly Filter[], d: SeccompData): number {
  verify(prog);
  const data = seccompData(d);
  const mem = new Uint32Array(BPF_MEMWORDS);
  let a = 0;
  let x = 0;
  for (let pc = 0; pc < prog.length; pc++) {
    const f = prog[pc];
    if (f === undefined) throw new Error("fell off the program");
    const k = f.k >>> 0;
    switch (cls(f.code)) {
      case 0x00: // LD
        a =
          mode(f.code) === 0x20
            ? data.getUint32(k, true)
            : mode(f.code) === 0x80
              ? SECCOMP_DATA_SIZE
              : mode(f.code) === 0x60
                ? (mem[k] ?? 0)
                : k;
        break;
      case 0x01: // LDX
        x = mode(f.code) === 0x80 ? SECCOMP_DATA_SIZE : mode(f.code) === 0x60 ? (mem[k] ?? 0) : k;
        break;
      case 0x02: // ST
        mem[k] = a;
        break;
      case 0x03: // STX
        mem[k] = x;
        break;
      case 0x04: // ALU
        a = alu(op(f.code), a, src(f.code) ? x : k);
        break;
      case 0x05: {
        // JMP: offsets are relative to the next instruction and unsigned (forward only).
        const o = op(f.code);
        if (o === 0x00) {
          pc += k;
          break;
        }
        const b = src(f.code) ? x : k;
        const taken =
          o === 0x10
            ? a === b
            : o === 0x20
              ? a > b
              : o === 0x30
                ? a >= b
                : o === 0x40
                  ? (a & b) !== 0
                  : fail(`jump op ${o}`);
        pc += taken ? f.jt : f.jf;
        break;
      }
      case 0x06: // RET
        return ((f.code & 0x18) === 0x10 ? a : k) >>> 0; // BPF_RVAL: BPF_A or BPF_K
      case 0x07: // MISC
        if ((f.code & 0xf8) === 0x00) x = a;
        else a = x;
        break;
    }
  }
  throw new Error("fell off the end");
}

function alu(o: number, a: number, b: number): number {
  switch (o) {
    case 0x00:
      return (a + b) >>> 0;
    case 0x10:
      return (a - b) >>> 0;
    case 0x20:
      return Math.imul(a, b) >>> 0;
    case 0x30:
      return Math.floor(a / b) >>> 0;
    case 0x40:
      return (a | b) >>> 0;
    case 0x50:
      return (a & b) >>> 0;
    case 0x60:
      return b >= 32 ? 0 : (a << b) >>> 0;
    case 0x70:
      return b >= 32 ? 0 : a >>> b;
    case 0x80:
      return -a >>> 0;
    case 0x90:
      return (a % b) >>> 0;
    case 0xa0:
      return (a ^ b) >>> 0;
    default:
      return fail(`alu op ${o}`);
  }
}

function fail(why: string): never {
  throw new Error(`bpf: ${why}`);
}

/** linux/seccomp.h: split a return value into its action. */
export function verdictOf(value: number): Verdict {
  const full = value & 0xffff0000;
  if (full === 0x7fff0000) return { action: "allow" };
  if (full === 0x00050000) return { action: "errno", errno: value & 0xffff };
  if (full >>> 0 === 0x80000000) return { action: "kill-process" };
  if (full === 0) return { action: "kill-thread" };
  return { action: "other", value };
}

export function evaluate(bytes: Uint8Array, d: SeccompData): Verdict {
  return verdictOf(run(decode(bytes), d));
}
