/** `srt explain [F]`: the effective policy in words, or the IR with --json. */
import { showBytes } from "../compiler/byte-paths.js";
import { defineCommand, policyArgs, policyChoice } from "./args.js";
import { explainPolicy } from "./explain-text.js";
import { explainTools } from "./explain-tools.js";
import { explainK8s } from "./explain-k8s.js";
import { hostSeccompArch } from "../runtime/host-arch.js";
import { exitStatus, type CliIo } from "./io.js";
import { compileForCli } from "./policy-input.js";
import { renderJson } from "./render.js";

export const explainCommand = (io: CliIo) =>
  defineCommand({
    meta: { name: "explain", description: "Show what a policy allows and denies, and why (--json: the IR)" },
    args: policyArgs,
    run({ args }): number {
      // A pod runs Linux: the policy is compiled for Linux, and the cluster section is added.
      const k8s = args.target === "k8s";
      const choice = policyChoice({ ...args, ...(k8s ? { target: "linux" } : {}) });
      if (!choice.ok) {
        io.err(`srt explain: ${choice.message}\n`);
        return exitStatus.usage;
      }
      const { target, settings } = choice;
      const { policy, diagnostics } = compileForCli({ settings, json: args.json }, io, target);
      if (args.json && diagnostics.length > 0) io.err(renderJson(diagnostics) + "\n");
      if (policy === undefined) return exitStatus.usage;
      const vars = Object.fromEntries(Object.entries(io.env).filter((e): e is [string, string] => e[1] !== undefined));
      // JSON escapes a name's non-UTF-8 bytes as \udcXX (exact); the text shows them as \xNN.
      io.out(
        args.json
          ? JSON.stringify(policy, null, 2) + "\n"
          : showBytes(
              explainPolicy(policy, target, vars) +
                (target === "linux"
                  ? explainTools(policy, io.platform)
                      .map((l) => l + "\n")
                      .join("")
                  : "") +
                (k8s ? explainK8s(policy, hostSeccompArch()) : ""),
            ),
      );
      return exitStatus.ok;
    },
  });
