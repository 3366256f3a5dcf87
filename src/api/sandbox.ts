/**
 * createSandbox(): one policy, its long-lived proxies and private directory,
 * and any number of commands run under it — an instance, no globals, so two
 * sandboxes with different policies live side by side in one process.
 *
 * The proxies run in the caller's process. Commands must therefore be
 * started asynchronously: a synchronous spawn (spawnSync, execSync) of a
 * wrap()ped command blocks the very event loop that would answer its
 * requests. srt exec checks that the proxies answer before it starts the
 * command and fails (status 1) with a message instead of hanging.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { linuxPlanProblem, type LinuxPlan } from "../backends/bwrap/index.js";
import type { Diagnostic } from "../compiler/index.js";
import { findTools, runLinux, toolsExposed, type RunningSandbox } from "../runtime/linux/index.js";
import { createJanitor } from "../runtime/linux/janitor.js";
import { nodeLinuxDeps } from "../runtime/linux/node-deps.js";
import { ensureStateDir, locateStateDir, planStateDirMismatch } from "../runtime/state-dir.js";
import { createLinuxNetwork, proxySocketsIn } from "../runtime/linux/network.js";
import { nodeNetworkOs } from "../runtime/linux/network-os.js";
import type { AskCallback } from "../runtime/proxy/index.js";
import { createLivePolicy } from "../runtime/proxy/live-policy.js";
import { compile, lower, type CompileOptions } from "./compile.js";
import { SandboxConfigError } from "./errors.js";
import { findSrtBin } from "./install.js";
import { wireProcess, type SandboxedProcess, type StdioOption } from "./process.js";
import { createViolationFeed, type SandboxViolations } from "./violations.js";
import { RuntimeFailure } from "../runtime/failure.js";

export interface SandboxOptions extends CompileOptions {
  /** Asked about hosts on neither list; without it they are refused. */
  readonly askCallback?: AskCallback;
  /** How long askCallback may take before the request is refused; default 30 000 ms. */
  readonly askTimeoutMs?: number;
  /** The srt CLI bundle that wrap() commands run; default the one installed with this library. */
  readonly srtPath?: string;
  /** After kill(), how long the command may take before everything in the sandbox is SIGKILLed; default 10 000 ms. */
  readonly killGraceMs?: number;
  /**
   * File descriptors of this process opened without close-on-exec (inherited
   * from its parent; Node opens its own with close-on-exec) would be inherited
   * by every sandboxed command. By default spawn() closes them in this process
   * first; "refuse" makes spawn() fail instead, naming them, for hosts that use
   * such an fd themselves.
   */
  readonly inheritedFds?: "close" | "refuse";
}

export interface SandboxSpawnOptions {
  /** The environment offered to the command; the policy's env rules decide what passes. Default process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Default "pipe". */
  readonly stdio?: StdioOption;
}

/** A command line for callers that spawn themselves: `spawn(file, argv, { env })` — asynchronously. */
export interface WrappedCommand {
  readonly file: string;
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
}

export type UpdateResult =
  | { readonly ok: true; readonly diagnostics: readonly Diagnostic[] }
  | { readonly ok: false; readonly diagnostics: readonly Diagnostic[] };

export interface Sandbox {
  /** The plan every command of this sandbox runs under. */
  readonly plan: LinuxPlan;
  spawn(command: string, args?: readonly string[], options?: SandboxSpawnOptions): SandboxedProcess;
  wrap(command: readonly string[]): WrappedCommand;
  /** Replaces the network allow/deny lists of the running proxies at once; invalid settings change nothing. */
  update(settings: object | string): UpdateResult;
  readonly violations: SandboxViolations;
  /** Kills running commands, stops the proxies, removes every file; idempotent. */
  close(): Promise<void>;
  readonly closed: boolean;
}

const isPlan = (v: unknown): v is LinuxPlan =>
  typeof v === "object" && v !== null && (v as { kind?: unknown }).kind === "srt-plan";

export async function createSandbox(
  settingsOrPlan: object | string | LinuxPlan,
  options: SandboxOptions = {},
): Promise<Sandbox> {
  if (process.platform !== "linux")
    throw new RuntimeFailure(
      "SRT509",
      `createSandbox runs commands on Linux only (this is ${process.platform}); compile() and lower() work everywhere`,
    );
  let base: LinuxPlan;
  if (isPlan(settingsOrPlan)) {
    // A plan from an older srt lacks what this runtime enforces (the watched mounts, hostWrites…): refuse it.
    const problem = linuxPlanProblem(settingsOrPlan);
    if (problem !== undefined) throw new RuntimeFailure("SRT503", problem);
    base = settingsOrPlan;
  } else {
    const compiled = compile(settingsOrPlan, { ...options, target: "linux" });
    if (compiled.ir === undefined) throw new SandboxConfigError(compiled.diagnostics);
    base = lower(compiled.ir, "linux");
  }
  if (base.network.policy.httpProxyPort !== undefined || base.network.policy.socksProxyPort !== undefined) {
    throw new Error(
      "createSandbox does not support httpProxyPort/socksProxyPort yet (your own proxy would bypass its live policy); use the CLI for such policies",
    );
  }
  // Never from PATH (the caller's project may be first on it, and writable from inside).
  const tools = findTools(true, undefined, process.getuid?.() === 0);
  if (!tools.ok) throw new RuntimeFailure(tools.code, tools.message);
  const exposed = toolsExposed(tools.found, base.hostWrites);
  if (exposed !== undefined) throw new RuntimeFailure("SRT500", exposed);
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  const srtBin = options.srtPath ?? findSrtBin();
  const stateDir = locateStateDir(process.env, uid);
  const mismatch = planStateDirMismatch(base.context.stateDir, stateDir);
  if (mismatch !== undefined) throw new RuntimeFailure("SRT502", mismatch);

  // In srt's state directory, hidden in every sandbox (proxy sockets, the plan wrap() runs).
  // The watchdog removes the directory if this process dies without close().
  const os = nodeLinuxDeps();
  const janitor = createJanitor(os, [], tools.tools.sh);
  const dir = join(ensureStateDir(os.fs, stateDir, uid), "runs", os.runId());
  janitor.expectTree(dir);
  os.fs.mkdir(dir, 0o700);
  const feed = createViolationFeed();
  const live = createLivePolicy(base.network.policy);
  let network;
  try {
    // Started once: every run of this sandbox, and every wrap()ped `srt exec --proxies`, attaches to them.
    network = await createLinuxNetwork({
      sockets: proxySocketsIn(dir),
      policy: live,
      onViolation: feed.record,
      ask: options.askCallback,
      askTimeoutMs: options.askTimeoutMs,
      os: nodeNetworkOs,
    });
  } catch (e) {
    janitor.cleanUp();
    throw e;
  }
  const net = network;
  // Always proxied, so update() can open what the first policy closed.
  const plan: LinuxPlan = { ...base, network: { ...base.network, proxies: true } };
  const running = new Set<RunningSandbox>();
  let closing: Promise<void> | undefined;
  let planFile: string | undefined;

  const sandbox: Sandbox = {
    plan,
    violations: feed,
    get closed() {
      return closing !== undefined;
    },
    spawn(command, args = [], spawnOptions = {}) {
      if (closing) throw new Error("this sandbox is closed");
      const wiring = wireProcess(spawnOptions.stdio);
      const run = runLinux({
        plan,
        command: [command, ...args],
        env: spawnOptions.env ?? process.env,
        tools: tools.tools,
        uid,
        gid,
        stateDir,
        // The proxies outlive the run; its bridges are the runner's to stop.
        startNetwork: async () => net.attach(),
        stdio: wiring.stdio,
        onSpawn: wiring.onSpawn,
        ...(options.killGraceMs === undefined ? {} : { killGraceMs: options.killGraceMs }),
        ...(options.inheritedFds === undefined ? {} : { inheritedFds: options.inheritedFds }),
        ...(srtBin === undefined ? {} : { cleanupCommand: [process.execPath, srtBin, "__cleanup"] }),
      });
      running.add(run);
      void run.result
        .then((r) => {
          if (r.kind === "exited") for (const v of r.writeViolations ?? []) feed.record(v);
        })
        .finally(() => running.delete(run));
      return wiring.handle(run);
    },
    wrap(command) {
      if (closing) throw new Error("this sandbox is closed");
      if (srtBin === undefined) throw new Error("wrap() needs the srt CLI bundle (dist/srt.mjs); pass srtPath");
      if (command.length === 0) throw new Error("wrap() needs a command");
      if (planFile === undefined) {
        planFile = join(dir, "plan.json");
        writeFileSync(planFile, JSON.stringify(plan), { mode: 0o600 });
      }
      return {
        file: process.execPath,
        argv: [srtBin, "exec", planFile, "--proxies", dir, "--", ...command],
        env: { ...process.env },
      };
    },
    update(settings) {
      const compiled = compile(settings, { ...options, target: "linux" });
      if (compiled.ir === undefined) return { ok: false, diagnostics: compiled.diagnostics };
      live.replace(compiled.ir.network);
      return { ok: true, diagnostics: compiled.diagnostics };
    },
    close() {
      closing ??= (async () => {
        for (const r of running) r.forward("SIGKILL");
        // Each run removes its own run directory and placeholders once bwrap is gone.
        await Promise.all([...running].map((r) => r.result));
        await net.close();
        janitor.cleanUp();
      })();
      return closing;
    },
  };
  return sandbox;
}
