/**
 * Typed instructions → the raw `struct sock_filter` array that
 * `bwrap --seccomp FD` reads and hands to prctl(PR_SET_SECCOMP) as-is:
 * per instruction u16 code, u8 jt, u8 jf, u32 k, little-endian (linux/filter.h;
 * both supported arches are little-endian).
 */
import { MAX_COND_JUMP, OPCODE, SECCOMP_DATA } from "./constants.js";
import type { DataField, Insn, JumpCondition } from "./instructions.js";
import { actionValue } from "./instructions.js";
import type { SeccompProgram } from "./build.js";

/** One `struct sock_filter`. */
export interface SockFilter {
  readonly code: number;
  readonly jt: number;
  readonly jf: number;
  readonly k: number;
}

export const SOCK_FILTER_SIZE = 8;

const jumpOpcode: Readonly<Record<JumpCondition, number>> = {
  jeq: OPCODE.jeqK,
  jge: OPCODE.jgeK,
  jgt: OPCODE.jgtK,
  jset: OPCODE.jsetK,
};

export function fieldOffset(field: DataField): number {
  switch (field.kind) {
    case "nr":
      return SECCOMP_DATA.nr;
    case "arch":
      return SECCOMP_DATA.arch;
    case "arg-low":
      return SECCOMP_DATA.argLow(field.index);
  }
}

export function encodeInsn(insn: Insn): SockFilter {
  switch (insn.op) {
    case "ld":
      return { code: OPCODE.ldAbsW, jt: 0, jf: 0, k: fieldOffset(insn.field) };
    case "and":
      return { code: OPCODE.andK, jt: 0, jf: 0, k: insn.k };
    case "jmp":
      if (insn.jt > MAX_COND_JUMP || insn.jf > MAX_COND_JUMP) throw new Error("seccomp: unassembled long jump");
      return { code: jumpOpcode[insn.cond], jt: insn.jt, jf: insn.jf, k: insn.k };
    case "ja":
      return { code: OPCODE.ja, jt: 0, jf: 0, k: insn.offset };
    case "ret":
      return { code: OPCODE.retK, jt: 0, jf: 0, k: actionValue(insn.action) };
  }
}

export function encodeSeccomp(p: SeccompProgram): Uint8Array {
  const bytes = new Uint8Array(p.instructions.length * SOCK_FILTER_SIZE);
  const view = new DataView(bytes.buffer);
  p.instructions.forEach((insn, i) => {
    const { code, jt, jf, k } = encodeInsn(insn);
    const at = i * SOCK_FILTER_SIZE;
    view.setUint16(at, code, true);
    view.setUint8(at + 2, jt);
    view.setUint8(at + 3, jf);
    view.setUint32(at + 4, k, true);
  });
  return bytes;
}
