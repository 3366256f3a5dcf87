/**
 * Shared by `srt exec plan.json -- cmd` and the run mode: run a Linux plan,
 * forward the signals the CLI entry hands over, report, and turn the result
 * into srt's exit status. A signal srt itself received makes the status
 * 128+N even if the command exits 0 on it: srt was interrupted (DESIGN §6).
 */
import { closeSync } from "node:fs";
import { resolve } from "node:path";
import { exposureOf, type LinuxPlan } from "../backends/bwrap/index.js";
import { createNodeHost } from "../runtime/node-host.js";
import { openViolationsFile } from "../runtime/violations-file.js";
import {
  chosenTools,
  findTools,
  runLinux,
  statusOfSignal,
  toolsExposed,
  type LinuxTools,
  type ToolsResult,
} from "../runtime/linux/index.js";
import type { OciPlan } from "../backends/oci/index.js";
import type { RuntimeCode } from "../compiler/diagnostics.js";
import type { OciTools } from "../runtime/oci/run.js";
import type { DockerChoices, DockerTools } from "../runtime/oci/docker.js";
import { shellArgv } from "../runtime/shell.js";
import { joinNetwork, ownNetwork } from "../runtime/linux/network.js";
import { createLivePolicy } from "../runtime/proxy/live-policy.js";
import { authorizationFrom } from "../runtime/proxy/upstream-authorization.js";
import { appendViolation } from "../runtime/proxy/violations.js";
import { writeSummaryLine } from "../runtime/linux/write-violations.js";
import { locateStateDir } from "../runtime/state-dir.js";
import { awaitForwardingSignals } from "./forward-signals.js";
import { failureLine } from "../runtime/failure.js";
import { debugFromEnv, exitStatus, type CliIo } from "./io.js";
import { commandToRun, type RunOptions } from "./run-options.js";

export interface SandboxRunArgs {
  readonly plan: LinuxPlan;
  /** What to run: the words (argv mode) or a -c string, and --shell (runtime/shell.ts). */
  readonly command: Pick<RunOptions, "shell" | "script" | "command">;
  readonly debug: boolean;
  readonly quiet: boolean;
  readonly violations?: string | undefined;
  readonly controlFd?: number | undefined;
  readonly proxies?: string | undefined;
  /** The settings value the plan was compiled from, where parentProxy credentials are found (the plan has none). */
  readonly settingsValue?: unknown;
  /** Run under Docker (srt --runtime docker, --docker-*): the plan is an OciPlan. */
  readonly docker?: DockerChoices;
  /** Which engine's client runs it (default docker). */
  readonly engine?: "docker" | "podman";
  /**
   * Work that may wait until the command has started (writing the compile memo, issue 19): run once
   * bwrap is spawned, while it sets the sandbox up; for the OCI runtimes, once the run has begun.
   * Not run when the command never starts.
   */
  readonly afterSpawn?: () => void;
}

export async function runPlan(args: SandboxRunArgs, io: CliIo): Promise<number> {
  if (io.platform !== "linux") {
    io.err(
      `${failureLine({ code: "SRT509", message: `running commands is implemented for Linux only so far (this is ${io.platform}); \`srt compile --target macos\` prints the Seatbelt profile` })}\n`,
    );
    return exitStatus.runtime;
  }
  // Opened before anything runs, and only if the plan's command cannot swap it (see violations-file.ts).
  let violations: { readonly fd: number; readonly name: string } | undefined;
  if (args.violations !== undefined) {
    const spelled = resolve(io.cwd, args.violations);
    const refusal = violationsExposure(args.plan, spelled);
    const opened = refusal === undefined ? openViolationsFile(spelled) : { ok: false as const, message: refusal };
    if (!opened.ok) {
      io.err(
        `${failureLine({ code: "SRT507", message: `--violations ${args.violations}: ${opened.message}` })}\nsrt: the command did not run.\n`,
      );
      return exitStatus.usage;
    }
    violations = { fd: opened.fd, name: args.violations };
  }
  try {
    return await runOpened(args, violations, io);
  } finally {
    if (violations !== undefined) closeSync(violations.fd);
  }
}

/**
 * Whether to start srt's proxies for a plan that allows no host, as a refusing endpoint: the tools
 * found for it (proxies and bridge included) when it does, else undefined. Without
 * them the proxy variables are unset, a tool's lookup of its registry fails with EAI_AGAIN, and
 * npm, pip and git take that for a flaky network and retry: `npm view` gave up after 71 s, silently.
 * Through the proxies every request gets an immediate 403 (SOCKS: "not allowed"), which those tools
 * do not retry, and the refusal is a violation the summary names. Only when the bridge's programs
 * are there and no less safe than for a policy that allows hosts (a run that needs no network must
 * not fail for want of socat, nor be refused for a tool it would not start).
 */
function refusingEndpoint(plan: LinuxPlan, io: CliIo, debug: boolean): ToolsResult | undefined {
  if (plan.network.proxies) return undefined;
  const bridged = findTools(true, undefined, io.uid === 0);
  const problem = bridged.ok ? toolsExposed(bridged.found, plan.hostWrites) : bridged.message;
  if (problem === undefined) return bridged;
  if (debug) io.err(`srt: no refusing proxy for this run (network requests fail without saying why): ${problem}\n`);
  return undefined;
}

/** Why the plan's command could make srt write its report somewhere else, or undefined when it cannot. */
function violationsExposure(plan: LinuxPlan, spelled: string): string | undefined {
  const e = exposureOf(plan.hostWrites, createNodeHost(), spelled);
  if (e === undefined) return undefined;
  if (e.kind === "unknown") return `cannot inspect ${e.at} (${e.code})`;
  if (e.kind === "link")
    return `reached through the symlink ${e.link}, which lies in ${e.root}, writable by the command: it could re-point the link, and srt would append its report where that leads`;
  return `${e.real} lies in ${e.root}, which this plan makes writable and does not protect: the command could replace the file by a symlink, and srt would append its report where that leads. Name a file outside the writable directories (\`srt --violations F -- cmd\` protects F itself when it compiles the policy).`;
}

/** A plan for an OCI runtime (srt --runtime runc, srt compile --target oci) rather than bwrap. */
const isOciPlan = (plan: LinuxPlan): plan is OciPlan => (plan as Partial<OciPlan>).engine !== undefined;

async function runOpened(
  args: SandboxRunArgs,
  violations: { readonly fd: number; readonly name: string } | undefined,
  io: CliIo,
): Promise<number> {
  if (args.controlFd !== undefined && args.proxies !== undefined) {
    io.err(
      "srt: --control-fd changes srt's own proxies; with --proxies the sandbox that owns them is updated instead\n",
    );
    return exitStatus.usage;
  }
  let control: import("./control-fd.js").ControlChannel | undefined;
  if (args.controlFd !== undefined) {
    const opened = (await import("./control-fd.js")).openControlFd(args.controlFd, io);
    if (!opened.ok) {
      io.err(`srt: --control-fd ${args.controlFd}: ${opened.message}\n`);
      return exitStatus.usage;
    }
    control = opened.channel;
  }
  const debug = args.debug || debugFromEnv(io.env);
  // A live policy may open what the first one closed: proxies and bridges from the start.
  const withProxies: LinuxPlan = { ...args.plan, network: { ...args.plan.network, proxies: true } };
  // Only refusing: the policy allows no host and no control channel can change that.
  // The tools the refusing endpoint was found with: the same lookup as the run's own below when the
  // settings choose no tool paths, so it is not made twice (each looks in PATH and stats every tool and
  // what it depends on: 1.5 ms of every run, issue 19).
  const refusing =
    control === undefined && args.proxies === undefined ? refusingEndpoint(args.plan, io, debug) : undefined;
  const refuseOnly = refusing !== undefined;
  const plan: LinuxPlan = control || args.proxies !== undefined || refuseOnly ? withProxies : args.plan;
  const live = createLivePolicy(plan.network.policy);
  // The acknowledgement a caller (or a test) can wait for instead of guessing how long applying takes.
  control?.start(live, (lineNo) => {
    if (debug) io.err(`srt: --control-fd ${args.controlFd}: line ${lineNo} applied\n`);
  });
  const what = commandToRun(args.command);
  if (!what.ok) {
    io.err(`${failureLine({ code: "SRT520", message: what.message })}\nsrt: the command did not run.\n`);
    control?.close();
    return exitStatus.runtime;
  }
  // Never from PATH: `npx srt` puts the project's node_modules/.bin first, which the command may write.
  const oci = isOciPlan(plan) ? plan : undefined;
  if (oci?.engine === "crun" && io.uid !== 0) {
    // Measured with crun 1.8.1: it opens every mount target as the caller, so a directory the caller may not
    // enter (/lost+found, another user's /tmp entry that a mask covers) fails the run; and srt's bridge gets
    // EACCES on the held container's /proc/PID/ns/user, so no proxy could reach the container.
    io.err(
      `${failureLine({ code: "SRT547", message: "--runtime crun runs as root only so far (rootless crun 1.8 cannot mount over directories the caller may not enter, such as /lost+found, and srt's proxy bridge cannot enter its container's namespaces); use runc or bwrap" })}\nsrt: the command did not run.\n`,
    );
    control?.close();
    return exitStatus.runtime;
  }
  // The OCI runtimes' code (and node:crypto, which it loads) only for them: a bwrap run's start-up pays
  // for nothing else (issue 19).
  const ociTools = args.docker || oci ? await import("../runtime/oci/tools.js") : undefined;
  const found = args.docker
    ? ociTools!.findDockerTools(
        args.engine ?? "docker",
        plan.network.proxies && args.docker.networkMode === "none",
        undefined,
        undefined,
        io.uid === 0,
      )
    : oci
      ? ociTools!.findOciTools(plan.network.proxies, oci.engine)
      : refusing !== undefined && Object.keys(chosenTools(plan)).length === 0
        ? refusing
        : findTools(plan.network.proxies, undefined, io.uid === 0, chosenTools(plan));
  const problem = found.ok ? toolsExposed(found.found, plan.hostWrites) : found.message;
  if (!found.ok || problem !== undefined) {
    const code: RuntimeCode = found.ok || !("code" in found) ? "SRT500" : (found.code as RuntimeCode);
    io.err(`${failureLine({ code, message: String(problem) })}\nsrt: the command did not run.\n`);
    control?.close();
    return exitStatus.runtime;
  }
  if (debug)
    io.err(
      `srt: plan ${plan.source}: ${plan.bwrap.length} bwrap args, ${plan.placeholders.length} placeholders, seccomp ${plan.seccomp.instructions} insns, network ${plan.network.proxies ? "via proxies" : "none"}; shell ${what.shell.path} (${what.shell.why})\n`,
    );
  const network =
    args.proxies === undefined
      ? ownNetwork({
          quiet: args.quiet,
          violations,
          err: io.err,
          command: what.shown,
          policy: live,
          refuseOnly,
          ...(debug ? { log: (l: string) => io.err(l + "\n") } : {}),
          upstreamAuthorization: authorizationFrom({ env: io.env, settings: args.settingsValue }),
          env: io.env,
        })
      : joinNetwork(resolve(io.cwd, args.proxies));
  const common = {
    // An image has its own shells: the command runs through the image's /bin/sh, not the host's.
    command:
      args.docker?.image === undefined
        ? what.argv
        : shellArgv(
            { path: "/bin/sh", bash: false },
            args.command.script !== undefined
              ? { kind: "string", script: args.command.script }
              : { kind: "argv", argv: args.command.command },
          ),
    env: io.env,
    tools: found.tools,
    uid: io.uid,
    gid: io.gid,
    stateDir: locateStateDir(io.env, io.uid),
    startNetwork: network.start,
    // The CLI's inherited fds are its caller's leftovers: close them rather than pass them in.
    inheritedFds: "close" as const,
    ...(args.quiet ? {} : { warn: (l: string) => io.err(l + "\n") }),
    // If srt is SIGKILLed, its watchdog runs this to release the run's placeholders.
    ...(process.argv[1]
      ? {
          cleanupCommand: [
            process.execPath,
            process.argv[1],
            "__cleanup",
            // Docker and podman runs: the engine, so the run's containers are removed too.
            ...(args.docker !== undefined && found.ok
              ? [
                  `--engine=${(found.tools as DockerTools).docker}`,
                  `--engine-kind=${args.engine ?? "docker"}`,
                  `--docker-host=${io.env["DOCKER_HOST"] ?? ""}`,
                ]
              : []),
          ],
        }
      : {}),
    ...(debug ? { log: (l: string) => io.err(l + "\n") } : {}),
  };
  const running =
    oci !== undefined && args.docker !== undefined
      ? (await import("../runtime/oci/docker.js")).runDocker({
          ...common,
          plan: oci,
          tools: found.tools as DockerTools,
          docker: args.docker,
        })
      : oci !== undefined
        ? (await import("../runtime/oci/run.js")).runOci({ ...common, plan: oci, tools: found.tools as OciTools })
        : runLinux({
            ...common,
            plan,
            tools: found.tools as LinuxTools,
            soleRun: true,
            ...(args.afterSpawn === undefined ? {} : { onSpawn: args.afterSpawn }),
          });
  if (oci !== undefined) args.afterSpawn?.();
  try {
    const { result, received } = await awaitForwardingSignals(io, running);
    network.report();
    if (result.kind === "exited" && result.writeViolations !== undefined) {
      const line = writeSummaryLine(result.writeViolations, result.writeViolationsDropped ?? 0);
      if (line !== undefined && !args.quiet) io.err(`${line}\n`);
      for (const v of violations === undefined ? [] : result.writeViolations) {
        const error = appendViolation(violations!.fd, v);
        if (error) {
          io.err(`srt: could not write ${args.violations}: ${error.message}\n`);
          break;
        }
      }
    }
    if (result.kind === "failed" && result.violation !== undefined) {
      // The machine is fine: a protection was taken away during the run (the message says how).
      io.err(`${failureLine(result)}\n`);
      const error = violations === undefined ? undefined : appendViolation(violations.fd, result.violation);
      if (error) io.err(`srt: could not write ${args.violations}: ${error.message}\n`);
      return exitStatus.runtime;
    }
    if (result.kind === "failed") {
      io.err(`${failureLine(result)}\n`);
      // The implicit preflight: say what about this machine is wrong, if anything.
      // Loaded only now: the doctor compiles a test policy, and a run must not pay for the compiler.
      const { renderChecks, runPreflight } = await import("./doctor.js");
      const failing = (await runPreflight(io, args.engine ?? oci?.engine ?? "bwrap")).filter((c) => !c.ok);
      if (failing.length > 0) io.err(`srt doctor:\n${renderChecks(failing, true)}\n`);
      return exitStatus.runtime;
    }
    for (const v of result.limits ?? []) {
      // The command was stopped (or refused) by its own limits: say which, and keep it in the audit log.
      if (!args.quiet) io.err(`srt: ${v.reason} (${v.rule})\n`);
      const error = violations === undefined ? undefined : appendViolation(violations.fd, v);
      if (error) io.err(`srt: could not write ${args.violations}: ${error.message}\n`);
    }
    return received !== undefined ? statusOfSignal(received) : result.status;
  } finally {
    control?.close();
  }
}
