/** `srt check [F]`: is this policy valid? 0 valid (warnings printed), 2 invalid. */
import { defineCommand } from "citty";
import { hasErrors } from "../compiler/index.js";
import { policyArgs, settingsArg } from "./args.js";
import { exitStatus, type CliIo } from "./io.js";
import { compileForCli, parseTarget } from "./policy-input.js";
import { renderJson } from "./render.js";

export const checkCommand = (io: CliIo) =>
  defineCommand({
    meta: { name: "check", description: "Validate a settings file and report problems with their location" },
    args: policyArgs,
    run({ args }): number {
      const target = parseTarget(args.target);
      const settings = settingsArg(args);
      if (target === undefined || !settings.ok) {
        io.err(`srt check: ${settings.ok ? `unknown target "${args.target}" (linux or macos)` : settings.message}\n`);
        return exitStatus.usage;
      }
      const { policy, diagnostics } = compileForCli({ settings: settings.value, json: args.json }, io, target);
      const ok = policy !== undefined && !hasErrors(diagnostics);
      if (args.json) io.out(renderJson(diagnostics) + "\n");
      else if (ok) {
        const warnings = diagnostics.length;
        io.out(`${policy.source === "default" ? "defaults" : policy.source}: valid for ${target}${warnings ? ` (${warnings} warning${warnings === 1 ? "" : "s"})` : ""}\n`);
      }
      return ok ? exitStatus.ok : exitStatus.usage;
    },
  });
