/** `srt compile --target linux|macos [F] [-o OUT] [--emit …]`: the compiled artifact. */
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { defineCommand } from "citty";
import type { Policy, Target } from "../compiler/index.js";
import { compiledProxyPorts, lowerSeatbelt, renderSeatbelt } from "../backends/seatbelt/index.js";
import { lowerBwrap, lowerLinuxPlan, renderBwrap } from "../backends/bwrap/index.js";
import { buildSeccomp, disassembleSeccomp, seccompOptionsFromPolicy } from "../backends/seccomp/index.js";
import { hostSeccompArch } from "./host-arch.js";
import { policyArgs, policyChoice } from "./args.js";
import { exitStatus, type CliIo } from "./io.js";
import { compileForCli } from "./policy-input.js";

/** What each target can emit; the first is the default. */
const emitters: Record<Target, Record<string, (p: Policy) => string>> = {
  linux: {
    plan: (p) => JSON.stringify(lowerLinuxPlan(p, hostSeccompArch()), null, 2) + "\n",
    argv: (p) => renderBwrap(lowerBwrap(p)),
    bpf: (p) => disassembleSeccomp(buildSeccomp(seccompOptionsFromPolicy(p, hostSeccompArch()))),
    ir: (p) => JSON.stringify(p, null, 2) + "\n",
  },
  macos: { sb: (p) => renderSeatbelt(lowerSeatbelt(p, { proxy: compiledProxyPorts(p) })), ir: (p) => JSON.stringify(p, null, 2) + "\n" },
};

export const compileCommand = (io: CliIo) =>
  defineCommand({
    meta: { name: "compile", description: "Compile settings for a target and print or write the result" },
    args: {
      ...policyArgs,
      out: { type: "string", alias: "o", description: "write to this file instead of stdout" },
      emit: { type: "string", description: "what to produce (see the list per target below: ir, …)" },
    },
    run({ args }): number {
      const choice = policyChoice(args);
      if (!choice.ok) {
        io.err(`srt compile: ${choice.message}\n`);
        return exitStatus.usage;
      }
      const { target, settings } = choice;
      const available = emitters[target];
      const emit = args.emit ?? Object.keys(available)[0]!;
      const render = available[emit];
      if (render === undefined) {
        io.err(`srt compile: --emit ${emit} is not available for ${target}; choose one of: ${Object.keys(available).join(", ")}\n`);
        return exitStatus.usage;
      }
      const { policy } = compileForCli({ settings }, io, target);
      if (policy === undefined) return exitStatus.usage;
      const text = render(policy);
      if (args.out === undefined) io.out(text);
      else writeFileSync(resolve(io.cwd, args.out), text, { mode: 0o644 });
      return exitStatus.ok;
    },
  });
