/**
 * A readable, deterministic listing of a seccomp program: a header naming
 * every rule (enforced or relaxed, with the setting and its origin), then one
 * line per instruction with its index, mnemonic, operands, resolved jump
 * targets and the rule it implements. Reviewers read it in golden diffs.
 */
import type { RuleStatus, SeccompProgram } from "./build.js";
import { hex } from "./build.js";
import type { Action, Insn } from "./instructions.js";
import { actionValue } from "./instructions.js";
import { fieldOffset, SOCK_FILTER_SIZE } from "./encode.js";

export function disassembleSeccomp(p: SeccompProgram): string {
  const n = p.instructions.length;
  const lines = [
    `# seccomp filter · arch ${p.arch} · ${n} instructions · ${n * SOCK_FILTER_SIZE} bytes`,
    "# rules (first match wins; syscalls no rule names are allowed):",
    ...p.rules.flatMap(ruleLines),
    "#",
  ];
  const width = String(n - 1).length;
  p.instructions.forEach((insn, pc) => {
    const [mnemonic, operands] = operandsOf(insn, pc);
    const text = `${String(pc).padStart(width)}: ${mnemonic.padEnd(4)} ${operands}`;
    lines.push(insn.comment === "" ? text : `${text.padEnd(width + 36)} ; ${insn.comment}`);
  });
  return `${lines.join("\n")}\n`;
}

function ruleLines(s: RuleStatus): string[] {
  const { rule } = s;
  const when = rule.when.length === 0 ? "" : ` if ${rule.when.map((c) => c.text).join(" && ")}`;
  const setting =
    s.setting === undefined ? "" : ` (${s.setting.name}=${String(s.setting.value)} at ${s.setting.origin})`;
  return [
    `#   ${s.state.padEnd(8)} ${rule.id}: ${rule.syscalls.join(" ")}${when} → ${rule.verdict.toUpperCase()}${setting}`,
    `#            why: ${rule.why}`,
  ];
}

function operandsOf(insn: Insn, pc: number): readonly [string, string] {
  switch (insn.op) {
    case "ld":
      return ["ld", `[${fieldOffset(insn.field)}]`];
    case "and":
      return ["and", `#${hex(insn.k)}`];
    case "jmp":
      return [
        insn.cond,
        `#${hex(insn.k)}`.padEnd(13) + ` jt ${pc + 1 + insn.jt}`.padEnd(8) + ` jf ${pc + 1 + insn.jf}`,
      ];
    case "ja":
      return ["ja", `${pc + 1 + insn.offset}`];
    case "ret":
      return ["ret", `#${hex(actionValue(insn.action))} ${actionName(insn.action)}`];
  }
}

function actionName(action: Action): string {
  switch (action.kind) {
    case "allow":
      return "ALLOW";
    case "kill-process":
      return "KILL_PROCESS";
    case "user-notif":
      return "USER_NOTIF";
    case "errno":
      return `ERRNO(${action.errno})`;
  }
}
