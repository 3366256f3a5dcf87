/**
 * `srt doctor [--json] [--fix]`: can this machine run sandboxes? Exit 0 when it can, 1 when it
 * cannot. --fix first installs what is missing (runtime/linux/install.ts); it fails (exit 1) when
 * it could not, also when the machine could sandbox without what it could not install.
 */
import { spawnSync } from "node:child_process";
import { nodeToolFs } from "../runtime/host-tools.js";
import { preflight, type Check } from "../runtime/linux/preflight.js";
import { locateStateDir } from "../runtime/state-dir.js";
import { defineCommand } from "./args.js";
import { exitStatus, type CliIo } from "./io.js";
import { chooseRuntime, runtimeArg, type RuntimeName } from "./run-options.js";

export function runPreflight(io: CliIo, runtime?: RuntimeName): Promise<Check[]> {
  return preflight({
    ...(runtime === undefined ? {} : { runtime }),
    platform: io.platform,
    arch: process.arch,
    uid: io.uid,
    gid: io.gid,
    stateDir: locateStateDir(io.env, io.uid),
    env: io.env,
    // As for a run: if srt is killed during the test sandbox, its watchdog releases what it registered.
    ...(process.argv[1] ? { cleanupCommand: [process.execPath, process.argv[1], "__cleanup"] } : {}),
  });
}

export function renderChecks(checks: readonly Check[], onlyFailures = false): string {
  return checks
    .filter((c) => !onlyFailures || !c.ok)
    .map(
      (c) =>
        `${c.ok ? "ok  " : c.severity === "error" ? "FAIL" : "warn"} ${c.name}: ${c.detail}${c.fix && !c.ok ? `\n     fix: ${c.fix}` : ""}`,
    )
    .join("\n");
}

export const doctorCommand = (io: CliIo) =>
  defineCommand({
    meta: { name: "doctor", description: "Check that this machine can run sandboxes (exit 1 when it cannot)" },
    args: {
      json: { type: "boolean", description: "the checks as JSON" },
      // Which limits hold depends on the engine: the resource limits check is that engine's.
      ...runtimeArg,
      fix: {
        type: "boolean",
        description:
          "install missing programs (bwrap, socat, util-linux) with the package manager, as root or with sudo -n; else show the command",
      },
    },
    run: ({ args }) => {
      const runtime = chooseRuntime(args.runtime, false);
      if (!runtime.ok) {
        io.err(`${runtime.message}\n`);
        return exitStatus.usage;
      }
      return doctor(args.json === true, args.fix === true, io, runtime.runtime);
    },
  });

async function doctor(json: boolean, fix: boolean, io: CliIo, runtime: RuntimeName): Promise<number> {
  let fixFailed = false;
  if (fix && io.platform === "linux") {
    const { installMissing } = await import("../runtime/linux/install.js");
    const { buildNativeHelpers, nativeHelpersMissing } = await import("../runtime/native-build.js");
    const nativeMissing = nativeHelpersMissing();
    const outcome = installMissing({
      fs: nodeToolFs,
      uid: io.uid,
      nativeMissing,
      // The installer's output goes to stderr: stdout stays the checks (--json).
      run: (argv) =>
        spawnSync(argv[0]!, argv.slice(1), {
          stdio: ["ignore", 2, 2],
          env: { ...io.env, DEBIAN_FRONTEND: "noninteractive" },
        }).status,
      say: (line) => io.err(line + "\n"),
    });
    if (outcome.kind === "failed") {
      io.err(`srt doctor --fix: ${outcome.message}\n`);
      fixFailed = true;
    } else if (outcome.kind === "nothing-missing") io.err("srt doctor --fix: nothing to install\n");
    // npm install skips srt's native helpers on a machine without a C compiler; build them now.
    if (!fixFailed && nativeMissing) {
      const built = buildNativeHelpers((line) => io.err(line + "\n"));
      if (built !== undefined) {
        io.err(`srt doctor --fix: ${built}\n`);
        fixFailed = true;
      }
    }
  }
  const checks = await runPreflight(io, runtime);
  if (json) io.out(JSON.stringify(checks, null, 2) + "\n");
  else io.out(renderChecks(checks) + "\n");
  return fixFailed || checks.some((c) => !c.ok && c.severity === "error") ? exitStatus.runtime : exitStatus.ok;
}
