/** `srt explain [F]`: the effective policy in words, or the IR with --json. */
import { defineCommand } from "citty";
import { policyArgs, settingsArg } from "./args.js";
import { explainPolicy } from "./explain-text.js";
import { exitStatus, type CliIo } from "./io.js";
import { compileForCli, parseTarget } from "./policy-input.js";
import { renderJson } from "./render.js";

export const explainCommand = (io: CliIo) =>
  defineCommand({
    meta: { name: "explain", description: "Show what a policy allows and denies, and why (--json: the IR)" },
    args: policyArgs,
    run({ args }): number {
      const target = parseTarget(args.target);
      const settings = settingsArg(args);
      if (target === undefined || !settings.ok) {
        io.err(`srt explain: ${settings.ok ? `unknown target "${args.target}" (linux or macos)` : settings.message}\n`);
        return exitStatus.usage;
      }
      const { policy, diagnostics } = compileForCli({ settings: settings.value, json: args.json }, io, target);
      if (args.json && diagnostics.length > 0) io.err(renderJson(diagnostics) + "\n");
      if (policy === undefined) return exitStatus.usage;
      const vars = Object.fromEntries(Object.entries(io.env).filter((e): e is [string, string] => e[1] !== undefined));
      io.out(args.json ? JSON.stringify(policy, null, 2) + "\n" : explainPolicy(policy, target, vars));
      return exitStatus.ok;
    },
  });
