/**
 * The handle `sandbox.spawn()` returns: shaped like a ChildProcess (stdin,
 * stdout, stderr, 'exit'/'close' events, kill()), with the CLI's exit-status
 * semantics — the command's own status, 128+N when it died of signal N, 1
 * when the sandbox could not be set up (then `failure` says why and the
 * command never ran). The sandbox starts asynchronously (proxies, bridges),
 * so piped streams are pass-throughs that are connected once bwrap exists.
 */
import { EventEmitter } from "node:events";
import { PassThrough, type Readable, type Writable } from "node:stream";
import type { RuntimeCode } from "../compiler/diagnostics.js";
import type { RunningSandbox } from "../runtime/linux/index.js";
import type { SpawnedChild, StdioSlot } from "../runtime/linux/deps.js";
import type { LimitViolation } from "../runtime/linux/limits/enforce.js";

export type StdioOption = "pipe" | "inherit" | "ignore" | readonly [StdioSlot, StdioSlot, StdioSlot];

export interface SandboxExit {
  /** Exit status with the CLI's semantics (128+N for signal N; 1 if the sandbox could not start). */
  readonly status: number;
  /** Why the sandbox could not be set up; undefined when the command ran. */
  readonly failure?: string;
  /** The failure's code (SRT5xx, runtimeCatalog in the compiler's diagnostics), to switch on. */
  readonly failureCode?: RuntimeCode;
  /** Resource limits the command ran into (`memory limit 256 MiB reached: killed`); absent when none. */
  readonly limits?: readonly LimitViolation[];
}

export interface SandboxedProcess extends EventEmitter {
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  /** null until the command has ended. */
  readonly exitCode: number | null;
  readonly failure: string | undefined;
  readonly exited: Promise<SandboxExit>;
  /** Forwards a signal to everything in the sandbox (SIGTERM by default). */
  kill(signal?: NodeJS.Signals): boolean;
}

export interface Wiring {
  readonly stdio: readonly [StdioSlot, StdioSlot, StdioSlot];
  readonly onSpawn: (child: SpawnedChild) => void;
  readonly handle: (running: RunningSandbox) => SandboxedProcess;
}

/** Prepares the stdio of one spawn; `handle` then ties the running sandbox to the returned object. */
export function wireProcess(option: StdioOption = "pipe"): Wiring {
  const slots: [StdioSlot, StdioSlot, StdioSlot] = typeof option === "string" ? [option, option, option] : [...option];
  const stdin = slots[0] === "pipe" ? new PassThrough() : null;
  const stdout = slots[1] === "pipe" ? new PassThrough() : null;
  const stderr = slots[2] === "pipe" ? new PassThrough() : null;
  let spawned: SpawnedChild | undefined;
  const onSpawn = (child: SpawnedChild): void => {
    spawned = child;
    if (stdin && child.stdin) {
      child.stdin.on("error", () => undefined); // the command may exit without reading
      stdin.pipe(child.stdin);
    }
    if (stdout && child.stdout) child.stdout.pipe(stdout);
    if (stderr && child.stderr) child.stderr.pipe(stderr);
  };
  const handle = (running: RunningSandbox): SandboxedProcess => {
    const emitter = new EventEmitter();
    let exitCode: number | null = null;
    let failure: string | undefined;
    let failureCode: RuntimeCode | undefined;
    // 'finish': everything the command wrote is in the pass-through (whether or not anyone reads it).
    const ended = (s: PassThrough | null): Promise<void> =>
      s === null || s.writableFinished || s.destroyed
        ? Promise.resolve()
        : new Promise((r) => (s.once("finish", r), s.once("close", r)));
    const exited = running.result.then(async (result): Promise<SandboxExit> => {
      const status = result.kind === "exited" ? result.status : 1;
      exitCode = status;
      if (result.kind === "failed") [failure, failureCode] = [result.message, result.code];
      // Never started: nothing will ever end these streams.
      if (spawned === undefined) for (const s of [stdout, stderr]) s?.end();
      emitter.emit("exit", exitCode, null);
      await Promise.all([ended(stdout), ended(stderr)]);
      stdin?.unpipe();
      emitter.emit("close", exitCode, null);
      const limits = result.kind === "exited" && result.limits !== undefined ? { limits: result.limits } : {};
      return failure === undefined
        ? { status, ...limits }
        : { status, failure, ...(failureCode === undefined ? {} : { failureCode }) };
    });
    return Object.assign(emitter, {
      stdin,
      stdout,
      stderr,
      get exitCode() {
        return exitCode;
      },
      get failure() {
        return failure;
      },
      exited,
      kill(signal: NodeJS.Signals = "SIGTERM") {
        if (exitCode !== null) return false;
        running.forward(signal);
        return true;
      },
    }) as SandboxedProcess;
  };
  return { stdio: slots, onSpawn, handle };
}
