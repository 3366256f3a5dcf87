/**
 * Resolves symbolic labels into the forward offsets classic BPF jumps carry.
 *
 * Conditional jumps (jeq/jge/jgt/jset) hold 8-bit offsets, so a target more
 * than 255 instructions ahead cannot be reached directly. Rather than emit a
 * truncated (wrong!) offset, the assembler inserts a trampoline — an
 * unconditional `ja` (32-bit offset) right after the jump — and points the
 * short branch at it. Backward jumps do not exist in classic BPF (the kernel's
 * verifier rejects them, which is what guarantees termination); a backward or
 * unknown label is a compiler bug and throws.
 */
import { BPF_MAXINSNS, MAX_COND_JUMP } from "./constants.js";
import type { Insn, SymbolicInsn, Target } from "./instructions.js";
import { ja, label, to } from "./instructions.js";

type Jump = Extract<SymbolicInsn, { op: "jmp" }>;

export function assemble(program: readonly SymbolicInsn[]): Insn[] {
  let fresh = 0;
  const freshLabel = (hint: string): string => `${hint}~${fresh++}`;

  // 1. Make every fall-through explicit: a trampoline inserted after a jump
  //    must not capture the jump's "next" branch.
  let items: SymbolicInsn[] = [];
  for (const insn of program) {
    if (insn.op === "jmp" && (insn.jt.kind === "next" || insn.jf.kind === "next")) {
      const after = freshLabel("next");
      items.push({ ...insn, jt: explicit(insn.jt, after), jf: explicit(insn.jf, after) }, label(after));
    } else {
      items.push(insn);
    }
  }

  // 2. Insert trampolines until every conditional offset fits in 8 bits. Each
  //    insertion only lengthens jumps that cross it, and a branch that was
  //    given a trampoline points at an adjacent instruction, so this ends.
  for (;;) {
    const positions = labelPositions(items);
    const far = findFarBranch(items, positions);
    if (far === undefined) return resolve(items, positions);
    const { at, pc, insn } = far;
    const patched: Jump = { ...insn };
    const inserted: SymbolicInsn[] = [];
    for (const branch of ["jt", "jf"] as const) {
      const target = insn[branch];
      if (offsetTo(target, pc, positions) > MAX_COND_JUMP) {
        const hop = freshLabel("long");
        inserted.push(label(hop), ja(target, `long jump for ${branch} of #${pc}`));
        Object.assign(patched, { [branch]: to(hop) });
      }
    }
    items = [...items.slice(0, at), patched, ...inserted, ...items.slice(at + 1)];
  }
}

function explicit(target: Target, after: string): Target {
  return target.kind === "next" ? to(after) : target;
}

/** Instruction index each label names (labels take no space). */
function labelPositions(items: readonly SymbolicInsn[]): Map<string, number> {
  const positions = new Map<string, number>();
  let pc = 0;
  for (const insn of items) {
    if (insn.op === "label") {
      if (positions.has(insn.name)) throw new Error(`seccomp: duplicate label ${insn.name}`);
      positions.set(insn.name, pc);
    } else {
      pc++;
    }
  }
  return positions;
}

function offsetTo(target: Target, pc: number, positions: ReadonlyMap<string, number>): number {
  if (target.kind === "next") return 0;
  const where = positions.get(target.name);
  if (where === undefined) throw new Error(`seccomp: unknown label ${target.name}`);
  const offset = where - (pc + 1);
  if (offset < 0) throw new Error(`seccomp: backward jump to ${target.name} at #${pc}`);
  return offset;
}

/** The first conditional jump with a branch out of 8-bit reach, with its item index and instruction index. */
function findFarBranch(
  items: readonly SymbolicInsn[],
  positions: ReadonlyMap<string, number>,
): { readonly at: number; readonly pc: number; readonly insn: Jump } | undefined {
  let pc = 0;
  for (let i = 0; i < items.length; i++) {
    const insn = items[i];
    if (insn === undefined || insn.op === "label") continue;
    if (insn.op === "jmp") {
      const far = offsetTo(insn.jt, pc, positions) > MAX_COND_JUMP || offsetTo(insn.jf, pc, positions) > MAX_COND_JUMP;
      if (far) return { at: i, pc, insn };
    }
    pc++;
  }
  return undefined;
}

function resolve(items: readonly SymbolicInsn[], positions: ReadonlyMap<string, number>): Insn[] {
  const out: Insn[] = [];
  for (const insn of items) {
    const pc = out.length;
    switch (insn.op) {
      case "label":
        break;
      case "ld":
      case "and":
      case "ret":
        out.push(insn);
        break;
      case "jmp":
        out.push({ ...insn, jt: offsetTo(insn.jt, pc, positions), jf: offsetTo(insn.jf, pc, positions) });
        break;
      case "ja":
        out.push({ op: "ja", offset: offsetTo(insn.target, pc, positions), comment: insn.comment });
        break;
    }
  }
  if (out.length === 0 || out.length > BPF_MAXINSNS) {
    throw new Error(`seccomp: program length ${out.length} outside 1..${BPF_MAXINSNS}`);
  }
  const last = out[out.length - 1];
  // The kernel's checker (seccomp_check_filter/bpf_check_classic) requires the last instruction to return.
  if (last?.op !== "ret") throw new Error("seccomp: program does not end with ret");
  return out;
}
