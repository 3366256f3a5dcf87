/** `srt compile --target linux|macos [F] [-o OUT] [--emit …]`: the compiled artifact. */
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { defineCommand } from "citty";
import type { Policy, Target } from "../compiler/index.js";
import { backendsFor, lowerAndRender, type TargetOptions } from "../backends/registry.js";
import { hostSeccompArch } from "../runtime/host-arch.js";
import { policyArgs, policyChoice } from "./args.js";
import { exitStatus, type CliIo } from "./io.js";
import { compileForCli } from "./policy-input.js";

/** Plans are compiled for this machine; a getter, so only a Linux backend asks for the arch. */
const options: TargetOptions = {
  get linux() {
    return { arch: hostSeccompArch() };
  },
  macos: {},
};

/** What a target can emit: its backends' texts (the first is the default), then the IR itself. */
const emitters = (target: Target): Record<string, (p: Policy) => string> => ({
  ...Object.fromEntries(backendsFor(target).map((b) => [b.emit, (p: Policy) => lowerAndRender(b, p, options)])),
  ir: (p) => JSON.stringify(p, null, 2) + "\n",
});

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
      const available = emitters(target);
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
