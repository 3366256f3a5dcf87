/**
 * `srt exec plan.json -- cmd args…`: run a compiled plan. The plan is all it
 * needs — no settings file, no compiler. A plan for another target or
 * architecture, or one that is not a plan at all, is a usage error.
 *
 * The plan decides everything about the sandbox, so the next exec trusts it
 * as found. A plan its own command could rewrite (it lies in a writable root
 * and does not protect itself, as `srt compile -o` makes it do) is refused
 * unless --allow-writable-plan says the user accepts that; one reached
 * through a symlink the command could re-point is refused always.
 */
import { resolve } from "node:path";
import { exposureOf, type LinuxPlan } from "../backends/bwrap/index.js";
import { createNodeHost } from "../runtime/node-host.js";
import { locateStateDir, planStateDirMismatch } from "../runtime/state-dir.js";
import { loadPlan } from "./plan-file.js";
import { failureLine } from "../runtime/failure.js";
import { exitStatus, type CliIo } from "./io.js";
import { defineCommand } from "./args.js";
import { additionNames, containerOptions, runArgs, runOptions, runsWhat, type ParsedRun } from "./run-options.js";
import { runPlan } from "./sandbox-run.js";

export const execCommand = (io: CliIo) =>
  defineCommand({
    meta: {
      name: "exec",
      description: "Run a command in the sandbox a compiled plan describes (srt compile --target linux -o plan.json)",
    },
    args: {
      plan: { type: "positional", required: true, description: "the plan file" },
      ...runArgs,
      proxies: {
        type: "string",
        valueHint: "DIR",
        description: "use the proxies of the library sandbox listening in DIR",
      },
      "allow-writable-plan": { type: "boolean", description: "run a plan its own command could rewrite" },
    },
    runs: runsWhat,
    refuses: {
      "--settings": "a plan already contains its policy; --settings does not apply",
      "-s": "a plan already contains its policy; -s (--settings) does not apply",
      ...Object.fromEntries(
        additionNames.map((n) => [
          `--${n}`,
          `a plan's policy is fixed when it is compiled; --${n} does not apply (run \`srt --${n} … -- cmd\`, or add it to the settings and recompile)`,
        ]),
      ),
      ...containerOptions,
    },
    run: ({ args, command }) => execPlan(args.plan, runOptions(args, command), io),
  });

async function execPlan(planFile: string, parsed: ParsedRun, io: CliIo): Promise<number> {
  if (io.platform !== "linux") {
    io.err(
      `${failureLine({ code: "SRT509", message: `plans are Linux-only (bwrap + seccomp; this is ${io.platform}); on macOS run \`srt [options] -- command\`, which compiles and runs a Seatbelt profile` }, "srt exec")}\n`,
    );
    return exitStatus.runtime;
  }
  if (!parsed.ok) {
    io.err(`srt exec: ${parsed.message}\n`);
    return exitStatus.usage;
  }
  const spelled = resolve(io.cwd, planFile);
  const loaded = loadPlan(spelled);
  const refusal =
    typeof loaded === "string" ? loaded : planExposure(loaded, spelled, parsed.options.allowWritablePlan === true);
  if (typeof loaded === "string" || refusal !== undefined) {
    io.err(`${failureLine({ code: "SRT503", message: `${planFile}: ${refusal}` }, "srt exec")}\n`);
    return exitStatus.usage;
  }
  const mismatch = planStateDirMismatch(loaded.context?.stateDir, locateStateDir(io.env, io.uid));
  if (mismatch !== undefined) {
    io.err(`${failureLine({ code: "SRT502", message: `${planFile}: ${mismatch}` }, "srt exec")}\n`);
    return exitStatus.usage;
  }
  const o = parsed.options;
  return runPlan(
    {
      plan: loaded,
      command: o,
      debug: o.debug,
      quiet: o.quiet,
      violations: o.violations,
      controlFd: o.controlFd,
      proxies: o.proxies,
    },
    io,
  );
}

/** Why the plan's own command could change this plan before the next exec, or undefined when it cannot. */
function planExposure(plan: LinuxPlan, spelled: string, allowWritable: boolean): string | undefined {
  const e = exposureOf(plan.hostWrites, createNodeHost(), spelled);
  if (e === undefined) return undefined;
  switch (e.kind) {
    case "unknown":
      return `cannot inspect ${e.at} (${e.code}) to check that the plan's command cannot change it`;
    case "link":
      return `reached through the symlink ${e.link}, which lies in ${e.root}, writable by this plan's command: it could re-point the link at a plan of its own for the next run. Name the plan by a path without that link.`;
    case "writable":
      if (allowWritable) return undefined;
      return `${e.real} lies in ${e.root}, which this plan makes writable, and the plan does not protect it: its command could rewrite the plan, and the next srt exec would run the rewrite. Write plans with \`srt compile -o FILE\` (the plan then protects FILE), keep them outside the writable directories, or pass --allow-writable-plan to run it anyway.`;
  }
}
