/** `srt doctor [--json]`: can this machine run sandboxes? Exit 0 when it can, 1 when it cannot. */
import { preflight, type Check } from "../runtime/linux/preflight.js";
import { locateStateDir } from "../runtime/state-dir.js";
import { defineCommand } from "./args.js";
import { exitStatus, type CliIo } from "./io.js";

export function runPreflight(io: CliIo): Promise<Check[]> {
  return preflight({
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
    args: { json: { type: "boolean", description: "the checks as JSON" } },
    run: ({ args }) => doctor(args.json === true, io),
  });

async function doctor(json: boolean, io: CliIo): Promise<number> {
  const checks = await runPreflight(io);
  if (json) io.out(JSON.stringify(checks, null, 2) + "\n");
  else io.out(renderChecks(checks) + "\n");
  return checks.some((c) => !c.ok && c.severity === "error") ? exitStatus.runtime : exitStatus.ok;
}
