/**
 * The typed classic-BPF instruction set the seccomp compiler emits: a closed
 * tagged union made by one-line builders. Only the forms a seccomp filter needs
 * exist, so e.g. loading the high word of an argument cannot even be expressed
 * (a 64-bit compare would let high garbage bits bypass a check the kernel
 * ignores; see `DataField`).
 */
import { ERRNO, SECCOMP_RET } from "./constants.js";

export type ArgIndex = 0 | 1 | 2 | 3 | 4 | 5;

/** A 32-bit word of struct seccomp_data the program may load. */
export type DataField =
  | { readonly kind: "nr" }
  | { readonly kind: "arch" }
  /** Low 32 bits of args[index]: every argument we check is an `int`/`unsigned int` to the kernel. */
  | { readonly kind: "arg-low"; readonly index: ArgIndex };

/** What the kernel does with the syscall (linux/seccomp.h SECCOMP_RET_*). */
export type Action =
  | { readonly kind: "allow" }
  | { readonly kind: "errno"; readonly errno: number }
  | { readonly kind: "kill-process" }
  /** SECCOMP_RET_USER_NOTIF: the supervisor holding the filter's listener answers. */
  | { readonly kind: "user-notif" };

export type JumpCondition = "jeq" | "jge" | "jgt" | "jset";

/** A jump target before assembly: the following instruction or a named label. */
export type Target = { readonly kind: "next" } | { readonly kind: "label"; readonly name: string };

/** Instructions as the builder writes them: jumps point at labels. */
export type SymbolicInsn =
  | { readonly op: "ld"; readonly field: DataField; readonly comment: string }
  | { readonly op: "and"; readonly k: number; readonly comment: string }
  | {
      readonly op: "jmp";
      readonly cond: JumpCondition;
      readonly k: number;
      readonly jt: Target;
      readonly jf: Target;
      readonly comment: string;
    }
  | { readonly op: "ja"; readonly target: Target; readonly comment: string }
  | { readonly op: "ret"; readonly action: Action; readonly comment: string }
  /** Not an instruction: names the position of the next real instruction. */
  | { readonly op: "label"; readonly name: string };

/** Instructions after assembly: jumps carry forward offsets (relative to the next instruction). */
export type Insn =
  | { readonly op: "ld"; readonly field: DataField; readonly comment: string }
  | { readonly op: "and"; readonly k: number; readonly comment: string }
  | {
      readonly op: "jmp";
      readonly cond: JumpCondition;
      readonly k: number;
      readonly jt: number;
      readonly jf: number;
      readonly comment: string;
    }
  | { readonly op: "ja"; readonly offset: number; readonly comment: string }
  | { readonly op: "ret"; readonly action: Action; readonly comment: string };

// Targets.
export const next: Target = { kind: "next" };
export const to = (name: string): Target => ({ kind: "label", name });

// Actions.
export const allow: Action = { kind: "allow" };
export const killProcess: Action = { kind: "kill-process" };
export const userNotif: Action = { kind: "user-notif" };
export const errno = (value: number): Action => ({ kind: "errno", errno: value });
export const eperm: Action = errno(ERRNO.EPERM);
export const enosys: Action = errno(ERRNO.ENOSYS);

// Instructions.
export const ldNr = (comment = ""): SymbolicInsn => ({ op: "ld", field: { kind: "nr" }, comment });
export const ldArch = (comment = ""): SymbolicInsn => ({ op: "ld", field: { kind: "arch" }, comment });
export const ldArgLow = (index: ArgIndex, comment = ""): SymbolicInsn => ({
  op: "ld",
  field: { kind: "arg-low", index },
  comment,
});
export const and = (k: number, comment = ""): SymbolicInsn => ({ op: "and", k: u32(k), comment });
const jump =
  (cond: JumpCondition) =>
  (k: number, jt: Target, jf: Target, comment = ""): SymbolicInsn => ({ op: "jmp", cond, k: u32(k), jt, jf, comment });
export const jeq = jump("jeq");
export const jge = jump("jge");
export const jgt = jump("jgt");
export const jset = jump("jset");
export const ja = (target: Target, comment = ""): SymbolicInsn => ({ op: "ja", target, comment });
export const ret = (action: Action, comment = ""): SymbolicInsn => ({ op: "ret", action, comment });
export const label = (name: string): SymbolicInsn => ({ op: "label", name });

/** The 32-bit `k` of a `ret` instruction. */
export function actionValue(action: Action): number {
  switch (action.kind) {
    case "allow":
      return SECCOMP_RET.ALLOW;
    case "kill-process":
      return SECCOMP_RET.KILL_PROCESS;
    case "user-notif":
      return SECCOMP_RET.USER_NOTIF;
    case "errno":
      // The errno travels in SECCOMP_RET_DATA; a larger value would spill into the action bits.
      if (!Number.isInteger(action.errno) || action.errno < 1 || action.errno > 4095) {
        throw new Error(`seccomp: errno ${action.errno} out of range`);
      }
      return (SECCOMP_RET.ERRNO | (action.errno & SECCOMP_RET.DATA)) >>> 0;
  }
}

/** Constants are u32 in sock_filter.k; reject anything that would be silently truncated. */
function u32(k: number): number {
  if (!Number.isInteger(k) || k < 0 || k > 0xffffffff) throw new Error(`seccomp: constant ${k} is not a u32`);
  return k;
}
