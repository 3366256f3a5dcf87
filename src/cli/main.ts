/**
 * srt's dispatcher: picks the command and runs it, returning the exit status
 * (bin.ts is the one place that exits). Anything that is not a known subcommand is the run mode
 * (`srt [options] -- cmd…`). Every command, the run mode included, reads its words with the
 * one parser in args.ts.
 */
import pkg from "../../package.json" with { type: "json" };
import type { Command } from "./args.js";
import { exitStatus, type CliIo } from "./io.js";
import { commandNames as names, type CommandName } from "./command-names.js";

// Every command is loaded when it is used (in the one-file bundle, esbuild runs a module's body on its
// first import, and V8 compiles a function on its first call): a sandboxed run, which happens for
// every command an agent runs, runs none of the check/explain/compile code, and `srt --version` no command.
type Factory = (io: CliIo) => Command<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const subcommands: Record<CommandName, () => Promise<Factory>> = {
  check: async () => (await import("./check.js")).checkCommand,
  explain: async () => (await import("./explain.js")).explainCommand,
  compile: async () => (await import("./compile.js")).compileCommand,
  exec: async () => (await import("./exec.js")).execCommand,
  doctor: async () => (await import("./doctor.js")).doctorCommand,
  schema: async () => (await import("./schema.js")).schemaCommand,
  init: async () => (await import("./init.js")).initCommand,
  proxy: async () => (await import("./proxy.js")).proxyCommand,
};

/** srt's commands by name; any other first word starts the run mode. */
export const commandNames: readonly string[] = names;

const usage = `srt ${pkg.version}: run commands in an OS-level sandbox compiled from a policy

Usage:
  srt [-s F] [-d] [-q] [--violations F] [--control-fd N] [--shell S] [--] command [args…]
                                                run a command sandboxed (--control-fd: JSON
                                                settings lines replace the network policy live)
  srt [-s F] [-d] [-q] [--shell S] -c "shell string"
                                                run a shell string sandboxed (bash -c, else sh -c)
  srt check [F]                                 validate settings (exit 0 valid, 2 invalid)
  srt explain [F] [--json]                      what the policy allows, and why
  srt compile --target linux|macos [F] [-o OUT] [--emit ir|…]
  srt exec plan.json [--allow-writable-plan] -- command [args…]
                                                run a compiled plan (refused if its own command
                                                could rewrite it, unless --allow-writable-plan)
  srt doctor                                    check that this machine can sandbox
  srt init [F] [--allow-registries]             write a starter policy (never overwrites)
  srt schema                                    print the settings JSON Schema
  srt proxy --listen ADDR [--socks ADDR] [--settings F] [--control-fd N]
                                                the filtering proxies alone, no sandbox (the
                                                egress of a container or pod); JSON lines on stdout

Settings: --settings F, else the file SRT_SETTINGS names, else ~/.srt-settings.json,
else defaults (no network, read everywhere, write only in the working directory
and a private temp dir).
Exit status: the command's own (128+N if killed by signal N); 2 usage or
policy error; 1 runtime failure. Run \`srt <command> --help\` for details.
`;

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [first, ...rest] = argv;
  if (first === "--version" || first === "-V") {
    io.out(`${pkg.version}\n`);
    return exitStatus.ok;
  }
  if (first === undefined || first === "--help" || first === "-h" || first === "help") {
    io.out(usage);
    return first === undefined ? exitStatus.usage : exitStatus.ok;
  }
  // Internal: run by the watchdog of a run that died without cleaning up (see runtime/linux/janitor.ts).
  // Only a state directory that passes the same checks as a run's is touched.
  // A Docker or podman run names its engine first (--engine=PATH --engine-kind=K --docker-host=H): its containers go too.
  const engineArgs = first === "__cleanup" ? rest.filter((a) => /^--(engine|engine-kind|docker-host)=/.test(a)) : [];
  if (first === "__cleanup" && engineArgs.length > 0) {
    const status = await main([first, ...rest.filter((a) => !engineArgs.includes(a))], io);
    const opt = (n: string): string | undefined => engineArgs.find((a) => a.startsWith(`--${n}=`))?.slice(n.length + 3);
    const runId = rest[rest.length - 1]!;
    const engine = opt("engine");
    if (engine !== undefined && engine.startsWith("/") && /^[0-9a-f]{12}$/.test(runId))
      (await import("../runtime/oci/engine-cleanup.js")).removeRunContainers({
        engine,
        kind: opt("engine-kind") === "podman" ? "podman" : "docker",
        dockerHost: opt("docker-host") || undefined,
        runId,
        root: io.uid === 0,
      });
    return status;
  }
  if (first === "__cleanup" && rest.length === 2) {
    // The run id names a directory in it: only the form srt makes (no "/" or "..", nothing outside).
    const os = (await import("../runtime/linux/node-deps.js")).nodeLinuxDeps();
    if (
      !/^[0-9a-f]{12}$/.test(rest[1]!) ||
      (await import("../runtime/state-dir.js")).stateDirProblem(os.fs, rest[0]!, io.uid) !== undefined
    )
      return exitStatus.runtime;
    (await import("../runtime/linux/placeholder-registry.js")).releaseRun(os, {
      state: rest[0]!,
      runId: rest[1]!,
      uid: io.uid,
    });
    // A root run under runc (srt --runtime runc) leaves its cgroups when it is killed with srt.
    if (io.uid === 0) (await import("../runtime/oci/cgroups.js")).removeRunCgroups(os.fs, os.clock, rest[1]!);
    return exitStatus.ok;
  }
  const load = Object.hasOwn(subcommands, first) ? subcommands[first as CommandName] : undefined;
  // A sandboxed run starts lean (runtime/v8-tuning.ts; its proxies, if any, return to the defaults).
  if (load === undefined || first === "exec") (await import("../runtime/v8-tuning.js")).leanStartUp();
  // Loaded only now: `srt --version` and `srt --help` above need neither citty nor the parser.
  const { runCommandLine } = await import("./args.js");
  if (load === undefined)
    return runCommandLine((await import("./run-mode.js")).runModeCommand(io, usage), argv, io, "srt");
  return runCommandLine((await load())(io), rest, io, `srt ${first}`);
}
