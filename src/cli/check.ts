/** `srt check [F]`: is this policy valid? 0 valid (warnings printed), 2 invalid. */
import { hasErrors } from "../compiler/index.js";
import { defineCommand, policyArgs, policyChoice } from "./args.js";
import { exitStatus, type CliIo } from "./io.js";
import { compileForCli } from "./policy-input.js";
import { renderJson } from "./render.js";

export const checkCommand = (io: CliIo) =>
  defineCommand({
    meta: { name: "check", description: "Validate a settings file and report problems with their location" },
    args: policyArgs,
    run({ args }): number {
      const choice = policyChoice(args);
      if (!choice.ok) {
        io.err(`srt check: ${choice.message}\n`);
        return exitStatus.usage;
      }
      const { target, settings } = choice;
      const { policy, diagnostics } = compileForCli({ settings, json: args.json }, io, target);
      const ok = policy !== undefined && !hasErrors(diagnostics);
      if (args.json) io.out(renderJson(diagnostics) + "\n");
      else if (ok) {
        const warnings = diagnostics.length;
        io.out(
          `${policy.source === "default" ? "defaults" : policy.source}: valid for ${target}${warnings ? ` (${warnings} warning${warnings === 1 ? "" : "s"})` : ""}\n`,
        );
      }
      return ok ? exitStatus.ok : exitStatus.usage;
    },
  });
