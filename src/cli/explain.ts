/** `srt explain [F]`: the effective policy in words, or the IR with --json. */
import { showBytes } from "../compiler/byte-paths.js";
import { defineCommand, listOption, policyArgs, policyChoice } from "./args.js";
import { additionArgs, additionNames, chooseRuntime, dockerArgs, runtimeArg } from "./run-options.js";
import { wantsDocker } from "./docker-options.js";
import { explainDocker } from "./explain-docker.js";
import { explainPolicy } from "./explain-text.js";
import { explainShell, explainTools } from "./explain-tools.js";
import { explainLimits, probeFor } from "../runtime/linux/limits/report.js";
import { nodeLinuxFs } from "../runtime/linux/node-deps.js";
import { explainK8s } from "./explain-k8s.js";
import { hostSeccompArch } from "../runtime/host-arch.js";
import { exitStatus, type CliIo } from "./io.js";
import { compileForCli } from "./policy-input.js";
import { renderJson } from "./render.js";

export const explainCommand = (io: CliIo) =>
  defineCommand({
    meta: { name: "explain", description: "Show what a policy allows and denies, and why (--json: the IR)" },
    // The run mode's additions, so `srt explain --allow-domain D` shows what `srt --allow-domain D -- cmd` runs with.
    // --runtime: the limits lines say what holds under that engine (as the run decides it).
    args: { ...policyArgs, ...additionArgs, ...dockerArgs, ...runtimeArg },
    repeatable: additionNames,
    run({ args }): number {
      // A pod runs Linux: the policy is compiled for Linux, and the cluster section is added.
      const k8s = args.target === "k8s";
      const choice = policyChoice({ ...args, ...(k8s ? { target: "linux" } : {}) });
      if (!choice.ok) {
        io.err(`srt explain: ${choice.message}\n`);
        return exitStatus.usage;
      }
      const { target, settings } = choice;
      const flags = {
        image: args["docker-image"],
        name: args["docker-name"],
        workdir: args["docker-workdir"],
        allowHostNetwork: args["allow-host-network"],
      };
      const runtime = chooseRuntime(args.runtime, wantsDocker(flags));
      if (!runtime.ok) {
        io.err(`${runtime.message}\n`);
        return exitStatus.usage;
      }
      const engine = { runtime: runtime.runtime, rootless: io.uid !== 0 };
      const additions = {
        allowDomains: listOption(args["allow-domain"]),
        denyDomains: listOption(args["deny-domain"]),
        allowWrite: listOption(args["allow-write"]),
        denyRead: listOption(args["deny-read"]),
      };
      const { policy, diagnostics, settingsValue } = compileForCli(
        { settings, json: args.json, additions },
        io,
        target,
      );
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
                  ? [
                      ...explainLimits(
                        policy.limits,
                        io.platform === "linux" ? probeFor(nodeLinuxFs, io.uid, engine) : undefined,
                        engine,
                      ),
                      ...explainTools(policy, io.platform),
                      ...explainDocker(policy, settingsValue, flags),
                    ]
                      .map((l) => l + "\n")
                      .join("")
                  : "") +
                explainShell(target, io.platform)
                  .map((l) => l + "\n")
                  .join("") +
                (k8s ? explainK8s(policy, hostSeccompArch()) : ""),
            ),
      );
      return exitStatus.ok;
    },
  });
