/** `srt [options] [-c "string" | [--] cmd args…]`: compile the settings for this machine and run the command in one go. */
import { lowerLinuxPlan } from "../backends/bwrap/index.js";
import { realpathSync } from "node:fs";
import { resolve } from "node:path";
import type { OciPlan } from "../backends/oci/index.js";
import type { DockerChoices } from "../runtime/oci/docker.js";
import { dockerOptions, wantsDocker, type DockerFlags } from "./docker-options.js";
import { hostSeccompArch } from "../runtime/host-arch.js";
import { failureLine } from "../runtime/failure.js";
import { monotonicMs } from "../runtime/monotonic.js";
import { debugFromEnv, exitStatus, type CliIo } from "./io.js";
import { compileForRun } from "./policy-input.js";
import { defineCommand } from "./args.js";
import {
  additionArgs,
  additionNames,
  containerOptions,
  dockerArgs,
  runArgs,
  runOptions,
  chooseRuntime,
  runsWhat,
  runtimeArg,
  type RunOptions,
  type RuntimeName,
} from "./run-options.js";
import { runPlan } from "./sandbox-run.js";

/** `usage` is srt's overview, which is this mode's --help. */
export const runModeCommand = (io: CliIo, usage: string) =>
  defineCommand({
    meta: { name: "srt", description: "Run a command in a sandbox compiled from the settings" },
    args: {
      settings: {
        type: "string",
        // -s as in the reference tool (@anthropic-ai/sandbox-runtime), whose users type it.
        alias: "s",
        valueHint: "F",
        description: "settings file (default: ~/.srt-settings.json, else the defaults)",
      },
      ...runArgs,
      ...additionArgs,
      ...dockerArgs,
      ...runtimeArg,
    },
    runs: runsWhat,
    repeatable: additionNames,
    refuses: {
      ...Object.fromEntries(Object.entries(containerOptions).filter(([o]) => !(o.slice(2) in dockerArgs))),
      "--proxies": "--proxies is for srt exec (commands wrapped by a library sandbox)",
      "--allow-writable-plan": "--allow-writable-plan is for srt exec (this mode compiles its plan in memory)",
    },
    usage,
    run({ args, command }) {
      const parsed = runOptions(args, command);
      if (!parsed.ok) {
        io.err(`srt: ${parsed.message}\n`);
        return exitStatus.usage;
      }
      const flags: DockerFlags = {
        image: args["docker-image"],
        name: args["docker-name"],
        workdir: args["docker-workdir"],
        allowHostNetwork: args["allow-host-network"],
      };
      const chosen = chooseRuntime(args.runtime, wantsDocker(flags));
      if (!chosen.ok) {
        io.err(`${chosen.message}\n`);
        return exitStatus.usage;
      }
      const { runtime } = chosen;
      return runMode(parsed.options, io, runtime, flags);
    },
  });

async function runMode(o: RunOptions, io: CliIo, runtime: RuntimeName, flags: DockerFlags): Promise<number> {
  // macOS: Seatbelt through sandbox-exec (src/cli/macos-run.ts; not run on a Mac from here).
  if (io.platform === "darwin") return (await import("./macos-run.js")).runMacosMode(o, io);
  if (io.platform !== "linux") {
    io.err(
      `${failureLine({ code: "SRT509", message: `running commands is implemented for Linux only so far (this is ${io.platform})` })}\n`,
    );
    return exitStatus.runtime;
  }
  const t0 = monotonicMs();
  // The memo is written once the command has started (sandbox-run.ts: afterSpawn), not before it.
  const { policy, settingsValue, memo, keepMemo } = compileForRun(o, io, "linux", true);
  if (policy === undefined) return exitStatus.usage;
  // The OCI runtimes' code is loaded only for them (issue 19: a bwrap run's start-up pays for nothing else).
  const plan =
    runtime === "bwrap"
      ? lowerLinuxPlan(policy, hostSeccompArch())
      : (await import("../backends/oci/index.js")).lowerOciPlan(
          policy,
          hostSeccompArch(),
          (await import("../runtime/oci/host-root.js")).hostRootEntries(),
          runtime === "crun" ? "crun" : "runc",
        );
  const debug = o.debug || debugFromEnv(io.env);
  if (debug) io.err(`srt: compiled ${plan.source} in ${(monotonicMs() - t0).toFixed(1)} ms: ${memo}\n`);
  let docker: DockerChoices | undefined;
  if (runtime === "docker" || runtime === "podman") {
    const chosen = dockerOptions(settingsValue, flags, plan as OciPlan, (p) => {
      try {
        return realpathSync(resolve(io.cwd, p));
      } catch {
        return undefined;
      }
    });
    if (!chosen.ok) {
      io.err(`${failureLine(chosen)}\nsrt: the command did not run.\n`);
      return exitStatus.usage;
    }
    for (const line of chosen.shown) if (debug || line.includes("NOT FILTERED")) io.err(`srt: ${line}\n`);
    docker = chosen.choices;
  }
  return runPlan(
    {
      plan,
      command: o,
      debug: o.debug,
      quiet: o.quiet,
      violations: o.violations,
      controlFd: o.controlFd,
      settingsValue,
      ...(keepMemo === undefined
        ? {}
        : {
            afterSpawn: () => {
              const unsaved = keepMemo();
              if (debug && unsaved !== undefined) io.err(`srt: compile memo not kept: ${unsaved}\n`);
            },
          }),
      ...(docker === undefined
        ? {}
        : { docker, engine: runtime === "podman" ? ("podman" as const) : ("docker" as const) }),
    },
    io,
  );
}
