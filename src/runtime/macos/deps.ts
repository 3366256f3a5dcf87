/**
 * Everything the macOS runner asks of the operating system, injected: the
 * runner is complete up to the spawn call and its tests drive it on Linux
 * with a fake spawn. Node's own functions fit these shapes (node-deps.ts).
 *
 * None of this has been run on macOS from here.
 */
import type { Readable, Writable } from "node:stream";
import type { Watchdog } from "../watchdog.js";

/** The part of a ChildProcess the runner uses. */
export interface SpawnedProcess {
  readonly pid?: number | undefined;
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  once(event: "exit", listener: (code: number | null, signal: NodeJS.Signals | null) => void): unknown;
  once(event: "error", listener: (error: Error) => void): unknown;
  kill(signal?: NodeJS.Signals): boolean;
}

export type StdioEntry = "inherit" | "pipe" | "ignore" | number;

export interface SpawnRequest {
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly stdio: readonly [StdioEntry, StdioEntry, StdioEntry];
  /** A new session and process group (setsid): signals go to the whole group, and the command has no controlling terminal to inject keystrokes into. */
  readonly detached: boolean;
}

export type Spawn = (file: string, args: readonly string[], request: SpawnRequest) => SpawnedProcess;

export interface MacosFs {
  mkdtemp(prefix: string): string;
  mkdir(path: string, mode: number): void;
  /** Creates the file (fails if it exists) with this mode. */
  writeNewFile(path: string, text: string, mode: number): void;
  /** Appends to the --violations file: never through a symlink at its name, only to a regular file. */
  appendFile(path: string, text: string, mode: number): void;
  /** rm -rf, never throws for a missing path. */
  removeTree(path: string): void;
  realpath(path: string): string;
  /** A file's text, or undefined when it is absent or unreadable (TLS setup: the CA, roots, masked variables' files never). */
  readFile(path: string): string | undefined;
}

export interface Clock {
  now(): number;
  /** Runs fn after ms; returns the cancel. */
  after(ms: number, fn: () => void): () => void;
}

/** TLS termination and masked variables (loaded lazily, only for a policy that has them). */
export type TlsModule = Pick<typeof import("../proxy/tls/setup.js"), "setUpTlsRun">;

/** The proxy module's public API the runner uses (loaded lazily by the real deps). */
export type ProxyModule = Pick<
  typeof import("../proxy/index.js"),
  "createHttpProxy" | "createSocksProxy" | "createViolationStore" | "reportLine"
>;

export interface MacosDeps {
  readonly platform: NodeJS.Platform;
  /** The user's temp dir (os.tmpdir()); the run dir goes under its real path. */
  readonly tmpdir: string;
  readonly fs: MacosFs;
  readonly spawn: Spawn;
  /** process.kill: a negative pid is a process group. */
  readonly kill: (pid: number, signal: NodeJS.Signals) => void;
  readonly proxies: () => Promise<ProxyModule>;
  readonly tls: () => Promise<TlsModule>;
  readonly clock: Clock;
  /** A fresh session tag ([A-Za-z0-9_-], ≤ 64): it marks this run's lines in the system log. */
  readonly tag: () => string;
  /** Starts the watchdog that cleans up if srt dies without doing it (watchdog.ts). */
  readonly startWatchdog: () => Watchdog;
}
