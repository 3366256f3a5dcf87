/**
 * The seccomp filter in the OCI runtime-spec form (`linux.seccomp`), made from
 * the same rule table as the BPF program (../seccomp/rules.ts) and the same
 * switches, so a rule added there reaches runc, crun and Docker too.
 *
 * Shape (measured, CONTAINERS.md): a deny list, `defaultAction: SCMP_ACT_ALLOW`
 * plus one `SCMP_ACT_ERRNO` entry per refused call. An allow list cannot say
 * "ioctl, except TIOCSTI".
 *
 * Arguments are compared with SCMP_CMP_MASKED_EQ and a 32-bit mask, never
 * SCMP_CMP_EQ: libseccomp's EQ compares all 64 bits, and the kernel reads
 * these arguments as 32-bit ints, so `socket(0xffffffff00000001, …)` — AF_UNIX
 * to the kernel — would pass an EQ rule. A `ne` condition has no masked form:
 * its complement is enumerated over the mask's values (the socket type's 16).
 *
 * Only the native ABI is listed: a call through another one (i386 `int 0x80`,
 * x32) gets the runtime's bad-architecture action, as the BPF program kills
 * it — listing i386 would let `socketcall(2)` carry a socket() whose domain no
 * filter can read.
 */
import type { SeccompArch } from "../seccomp/syscalls.js";
import { buildSeccomp, type SeccompOptions } from "../seccomp/index.js";
import type { Condition, SeccompRule, Verdict } from "../seccomp/rules.js";

export interface OciSeccompArg {
  readonly index: number;
  readonly value: number;
  readonly valueTwo: number;
  readonly op: "SCMP_CMP_MASKED_EQ";
}

export interface OciSeccompSyscall {
  readonly names: readonly string[];
  readonly action: "SCMP_ACT_ERRNO";
  readonly errnoRet: number;
  readonly args?: readonly OciSeccompArg[];
  /** Not read by runtimes; which rule of the table this entry comes from (goldens, reviews). */
  readonly comment: string;
}

export interface OciSeccomp {
  readonly defaultAction: "SCMP_ACT_ALLOW";
  readonly architectures: readonly string[];
  readonly syscalls: readonly OciSeccompSyscall[];
}

const ociArch: Readonly<Record<SeccompArch, string>> = { x86_64: "SCMP_ARCH_X86_64", aarch64: "SCMP_ARCH_AARCH64" };
const errno: Readonly<Record<Verdict, number>> = { eperm: 1, enosys: 38 };
const LOW32 = 0xffffffff;

/** One condition as the alternatives that together mean it: each a masked compare of one argument. */
function alternatives(c: Condition): OciSeccompArg[] {
  const masked = (mask: number, value: number): OciSeccompArg => ({
    index: c.arg,
    value: mask >>> 0,
    valueTwo: value >>> 0,
    op: "SCMP_CMP_MASKED_EQ",
  });
  switch (c.kind) {
    case "eq":
      return [masked(c.mask ?? LOW32, c.value)];
    case "any-bit":
      return bitsOf(c.bits).map((b) => masked(b, b));
    case "ne": {
      // Enumerable only under a small mask; a rule that needs more is a change to make here, loudly.
      const mask = c.mask ?? LOW32;
      if (mask > 0xff || (mask & (mask + 1)) !== 0)
        throw new Error(`seccomp rule condition ${c.text}: cannot enumerate a != over mask ${mask.toString(16)}`);
      const out: OciSeccompArg[] = [];
      for (let v = 0; v <= mask; v++) if (v !== c.value) out.push(masked(mask, v));
      return out;
    }
  }
}

const bitsOf = (bits: number): number[] => {
  const out: number[] = [];
  for (let i = 0; i < 32; i++) if ((bits >>> i) & 1) out.push((1 << i) >>> 0);
  return out;
};

/** The conditions of a rule in disjunctive normal form: every way it can match, each an AND of compares. */
function conjunctions(rule: SeccompRule): OciSeccompArg[][] {
  // Two `ne` on the same argument (socketpair's type) are one set difference, not a product.
  const byArg = new Map<number, Condition[]>();
  for (const c of rule.when) byArg.set(c.arg, [...(byArg.get(c.arg) ?? []), c]);
  let out: OciSeccompArg[][] = [[]];
  for (const conds of byArg.values()) {
    let options = alternatives(conds[0]!);
    for (const c of conds.slice(1)) {
      const keep = alternatives(c);
      options = options.filter((o) => keep.some((k) => k.value === o.value && k.valueTwo === o.valueTwo));
      if (c.kind !== "ne" || conds.some((x) => x.kind !== "ne"))
        throw new Error(`seccomp rule ${rule.id}: several conditions on argument ${c.arg} must all be !=`);
    }
    out = out.flatMap((prefix) => options.map((o) => [...prefix, o]));
  }
  return out;
}

export function lowerOciSeccomp(opts: SeccompOptions): OciSeccomp {
  const program = buildSeccomp(opts);
  const syscalls: OciSeccompSyscall[] = [];
  for (const status of program.rules) {
    if (status.state !== "enforced") continue;
    const { rule } = status;
    const base = { names: rule.syscalls, action: "SCMP_ACT_ERRNO" as const, errnoRet: errno[rule.verdict] };
    const comment = `[${rule.id}] ${rule.why}`;
    if (rule.when.length === 0) syscalls.push({ ...base, comment });
    else for (const args of conjunctions(rule)) syscalls.push({ ...base, args, comment });
  }
  return { defaultAction: "SCMP_ACT_ALLOW", architectures: [ociArch[opts.arch]], syscalls };
}
