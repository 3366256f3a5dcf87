/**
 * SeccompOptions → classic-BPF program. Layout:
 *
 *   ld arch; jeq NATIVE else kill     foreign ABIs (i386 `int 0x80`, arm32) would use another syscall table
 *   ld nr;   [x86_64] jge x32 → kill  x32 syscalls are native numbers | 0x40000000
 *   jeq NR → verdict | handler …      one dispatch compare per syscall a rule names
 *   ret ALLOW
 *   handler:<syscall> …               argument checks, first matching rule wins, else ALLOW
 *   eperm / enosys / kill: ret …      shared verdicts
 *
 * Syscalls whose verdict does not depend on arguments jump straight to a
 * verdict, so the kernel's per-syscall action cache (≥ 5.11) covers them and
 * only socket/socketpair/ioctl/clone/unshare run the filter at all.
 */
import type { Origin } from "../../compiler/ir.js";
import { assemble } from "./assemble.js";
import { AUDIT_ARCH, X32_SYSCALL_BIT } from "./constants.js";
import type { Action, Insn, SymbolicInsn, Target } from "./instructions.js";
import {
  allow,
  and,
  enosys,
  eperm,
  ja,
  jeq,
  jge,
  jset,
  killProcess,
  label,
  ldArch,
  ldArgLow,
  ldNr,
  next,
  ret,
  to,
  userNotif,
} from "./instructions.js";
import type { SeccompOptions, SeccompOrigins, SeccompSwitch } from "./options.js";
import type { Condition, SeccompRule, Verdict } from "./rules.js";
import { seccompRules } from "./rules.js";
import { syscallNames, syscallNumber, type SeccompArch, type SyscallName } from "./syscalls.js";

/** Whether a rule made it into the program, and the setting that decided it. */
export interface RuleStatus {
  readonly rule: SeccompRule;
  /** "absent": a rule that exists only with a switch (onlyWith) that is off. */
  readonly state: "enforced" | "relaxed" | "absent";
  readonly setting?: { readonly name: SeccompSwitch; readonly value: boolean; readonly origin: Origin | "unknown" };
}

export interface SeccompProgram {
  readonly arch: SeccompArch;
  readonly options: SeccompOptions;
  readonly rules: readonly RuleStatus[];
  readonly instructions: readonly Insn[];
}

const nativeArch: Readonly<Record<SeccompArch, { readonly value: number; readonly foreign: string }>> = {
  x86_64: { value: AUDIT_ARCH.X86_64, foreign: "i386 int 0x80" },
  aarch64: { value: AUDIT_ARCH.AARCH64, foreign: "arm32 compat" },
};

const verdictLabel: Readonly<Record<Verdict, string>> = { eperm: "eperm", enosys: "enosys", notify: "notify" };
const verdictText: Readonly<Record<Verdict, string>> = { eperm: "EPERM", enosys: "ENOSYS", notify: "USER_NOTIF" };

export function buildSeccomp(opts: SeccompOptions): SeccompProgram {
  const rules = seccompRules.map((rule) => ruleStatus(rule, opts));
  const enforced = rules.filter((s) => s.state === "enforced");
  return { arch: opts.arch, options: opts, rules, instructions: assemble(emit(opts.arch, enforced)) };
}

function ruleStatus(rule: SeccompRule, opts: SeccompOptions): RuleStatus {
  if (rule.onlyWith !== undefined && opts[rule.onlyWith] !== true) return { rule, state: "absent" };
  // The unix-socket rule gives way to path-scoped sockets, whose own rules keep datagrams out.
  if (rule.id === "unix-socket" && opts.unixSocketPaths)
    return {
      rule,
      state: "relaxed",
      setting: { name: "unixSocketPaths", value: true, origin: opts.origins?.unixSocketPaths ?? "unknown" },
    };
  if (rule.relaxedBy === undefined) return { rule, state: "enforced" };
  const value = opts[rule.relaxedBy] === true;
  const origin = opts.origins?.[rule.relaxedBy as keyof SeccompOrigins] ?? "unknown";
  return { rule, state: value ? "relaxed" : "enforced", setting: { name: rule.relaxedBy, value, origin } };
}

/** The rule tag every comment starts with; names the setting that could relax it. */
function tag(status: RuleStatus): string {
  const s = status.setting;
  return s === undefined ? `[${status.rule.id}]` : `[${status.rule.id}; ${s.name}=${String(s.value)} at ${s.origin}]`;
}

function emit(arch: SeccompArch, enforced: readonly RuleStatus[]): SymbolicInsn[] {
  // Rules per syscall, in catalog order; syscalls in table order so output is stable.
  const bySyscall = new Map<SyscallName, RuleStatus[]>();
  for (const name of syscallNames) {
    const applying = enforced.filter((s) => s.rule.syscalls.includes(name));
    if (applying.length > 0) bySyscall.set(name, applying);
  }
  const native = nativeArch[arch];
  const out: SymbolicInsn[] = [
    ldArch("A = seccomp_data.arch"),
    jeq(
      native.value,
      next,
      to("kill"),
      `[arch] ${arch} ABI only; kill foreign ABIs (${native.foreign}) that index another syscall table`,
    ),
    ldNr("A = seccomp_data.nr"),
  ];
  if (arch === "x86_64") {
    out.push(jge(X32_SYSCALL_BIT, to("kill"), next, "[x32] nr >= 0x40000000 is the x32 ABI (or garbage): kill"));
  }
  const handlers: SymbolicInsn[] = [];
  const used = new Set<string>(["kill"]);
  for (const [name, statuses] of bySyscall) {
    const nr = syscallNumber(arch, name);
    if (nr === undefined) continue; // not a syscall of this arch (aarch64 has only the *at forms)
    const first = statuses[0];
    if (first !== undefined && first.rule.when.length === 0) {
      used.add(verdictLabel[first.rule.verdict]);
      out.push(
        jeq(
          nr,
          to(verdictLabel[first.rule.verdict]),
          next,
          `${tag(first)} ${name} → ${verdictText[first.rule.verdict]}`,
        ),
      );
      continue;
    }
    out.push(jeq(nr, to(`sys:${name}`), next, `${name}: check arguments`));
    handlers.push(...emitHandler(name, statuses, used));
  }
  out.push(ret(allow, "no rule names this syscall: allow"), ...handlers);
  const verdicts: ReadonlyArray<readonly [string, Action, string]> = [
    ["eperm", eperm, "deny with EPERM"],
    ["enosys", enosys, "pretend the syscall does not exist (ENOSYS)"],
    ["notify", userNotif, "ask srt's supervisor, which answers (and performs the call when it may proceed)"],
    ["kill", killProcess, "kill the whole thread group (SIGSYS)"],
  ];
  for (const [name, action, text] of verdicts) if (used.has(name)) out.push(label(name), ret(action, text));
  return out;
}

/** Argument checks of one syscall: each rule in turn, falling through to ALLOW. */
function emitHandler(name: SyscallName, statuses: readonly RuleStatus[], used: Set<string>): SymbolicInsn[] {
  const out: SymbolicInsn[] = [label(`sys:${name}`)];
  // What the accumulator holds at this point, to skip a reload of the same masked argument.
  let loaded: string | undefined;
  for (const [i, status] of statuses.entries()) {
    const { rule } = status;
    const verdict = to(verdictLabel[rule.verdict]);
    used.add(verdictLabel[rule.verdict]);
    const call = `${name}(${rule.when.map((c) => c.text).join(", ")}) → ${verdictText[rule.verdict]}`;
    if (rule.when.length === 0) {
      out.push(ja(verdict, `${tag(status)} ${name} → ${verdictText[rule.verdict]}`));
      return out;
    }
    const skip = `sys:${name}:${i + 1}`;
    for (const [j, cond] of rule.when.entries()) {
      const key = loadKey(cond);
      if (loaded !== key) {
        out.push(ldArgLow(cond.arg, `A = low 32 bits of args[${cond.arg}] (${cond.name})`));
        if (cond.kind !== "any-bit" && cond.mask !== undefined) out.push(and(cond.mask, `A &= ${hex(cond.mask)}`));
        loaded = key;
      }
      const last = j === rule.when.length - 1;
      const comment = last ? `${tag(status)} ${call}` : `${tag(status)} ${name}: ${cond.text}, and …`;
      out.push(test(cond, last ? verdict : next, to(skip), comment));
    }
    out.push(label(skip));
    // Every path to `skip` left the same word in A only if all conditions read the same one.
    if (!rule.when.every((c) => loadKey(c) === loaded)) loaded = undefined;
  }
  out.push(ret(allow, `${name}: no rule matched: allow`));
  return out;
}

function test(cond: Condition, hit: Target, miss: Target, comment: string): SymbolicInsn {
  switch (cond.kind) {
    case "eq":
      return jeq(cond.value, hit, miss, comment);
    case "ne":
      return jeq(cond.value, miss, hit, comment);
    case "any-bit":
      return jset(cond.bits, hit, miss, comment);
  }
}

function loadKey(cond: Condition): string {
  return cond.kind === "any-bit" || cond.mask === undefined ? `${cond.arg}` : `${cond.arg}&${cond.mask}`;
}

export function hex(n: number): string {
  return `0x${n.toString(16)}`;
}
