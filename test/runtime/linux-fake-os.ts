/**
 * A pretend Linux for the runner's unit tests (LinuxDeps): the in-memory
 * file system and the clock of linux-fake-fs.ts; a process table (pid →
 * start time) for the lock's liveness checks; and a fake bwrap that speaks
 * bwrap's protocol on the runner's pipes — it reads its arguments (fd 3) and the supervisor's configuration (fd 7, the seccomp program in it) to their end, reports its
 * child on the info fd (8) and waits on the userns-block fd (6) when asked to
 * unshare the user namespace, reports the child on the status fd (5), waits
 * for the block fd's byte, runs "the command" (the supervisor says ready on fd 9) and reports its exit code.
 * Bridges (setpriv → nsenter → socat) "listen" by adding their port to the
 * sandbox's /proc/PID/net/tcp.
 *
 * Every step is appended to `events`, so a test can check what happened in
 * which order. Nothing here is the real OS: test/linux runs the same runner
 * under real bwrap.
 */
import { EventEmitter } from "node:events";
import { PassThrough, type Readable, type Writable } from "node:stream";
import type { LinuxDeps, SpawnedChild, SpawnOptions } from "../../src/runtime/linux/deps.js";
import type { WatchOs } from "../../src/runtime/linux/protection-watch.js";
import { createFakeClock, createMemFs, errno, nameOf, parentOf, type FakeClock, type MemFs } from "./linux-fake-fs.js";

export type { FakeClock, MemFs } from "./linux-fake-fs.js";

// ---------------------------------------------------------------- processes

export class FakeChild extends EventEmitter implements SpawnedChild {
  readonly stdio: (Readable | Writable | null)[];
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  readonly signals: NodeJS.Signals[] = [];
  constructor(
    readonly pid: number | undefined,
    options: SpawnOptions,
    private readonly onSignal: (signal: NodeJS.Signals) => void = (s) => this.exit(null, s),
  ) {
    super();
    this.stdio = options.stdio.map((s) => (s === "pipe" ? new PassThrough() : null));
  }
  get stdin(): Writable | null {
    return this.stdio[0] as Writable | null;
  }
  get stdout(): Readable | null {
    return this.stdio[1] as Readable | null;
  }
  get stderr(): Readable | null {
    return this.stdio[2] as Readable | null;
  }
  get alive(): boolean {
    return this.exitCode === null && this.signalCode === null;
  }
  kill(signal: NodeJS.Signals = "SIGTERM"): boolean {
    if (!this.alive) return false;
    this.signals.push(signal);
    this.onSignal(signal);
    return true;
  }
  exit(code: number | null, signal: NodeJS.Signals | null = null): void {
    if (!this.alive) return;
    this.exitCode = code;
    this.signalCode = signal;
    this.closePipes();
    setImmediate(() => this.emit("exit", code, signal));
  }
  /** A spawn that failed: no process, closed pipes, an "error" event. */
  fail(error: Error): void {
    this.exitCode = -2;
    this.closePipes();
    this.emit("error", error);
  }
  private closePipes(): void {
    for (const s of this.stdio) if (s !== null && !(s as Writable).writableEnded) (s as Writable).end();
  }
}

/** Bytes arriving on a pipe, one at a time; undefined at its end. */
function byteReader(stream: Readable): { next(): Promise<string | undefined>; all(): Promise<string> } {
  let buffered = "";
  let ended = false;
  let wake: (() => void) | undefined;
  stream.setEncoding("latin1");
  stream.on("data", (d: string) => {
    buffered += d;
    wake?.();
  });
  stream.on("end", () => {
    ended = true;
    wake?.();
  });
  const settle = async (): Promise<void> => new Promise<void>((r) => (wake = r));
  return {
    async next() {
      while (buffered === "" && !ended) await settle();
      if (buffered === "") return undefined;
      const b = buffered[0]!;
      buffered = buffered.slice(1);
      return b;
    },
    async all() {
      while (!ended) await settle();
      const all = buffered;
      buffered = "";
      return all;
    },
  };
}

/** What the fake bwrap does. */
export interface BwrapScript {
  /** "runs" (default); "missing": spawn fails with ENOENT; "dies": exits 1 after reading its arguments, before any child (as when it cannot mount /proc). */
  readonly fate?: "runs" | "missing" | "dies";
  /** "ready" (default); "fails": the supervisor cannot install its listener, so the command never starts. */
  readonly supervisor?: "ready" | "fails";
  /** The command's exit code, or "hang" until it is signalled. */
  readonly command?: number | "hang";
  /** Signals the command survives. */
  readonly ignores?: readonly NodeJS.Signals[];
}

export interface BridgeScript {
  /** "listens" (default) or "fails" (socat exits at once). */
  readonly fate?: "listens" | "fails";
}

export interface FakeLinux {
  readonly deps: LinuxDeps;
  readonly events: string[];
  readonly fs: MemFs;
  readonly time: FakeClock;
  /** pid → start time: the processes that exist. */
  readonly procs: Map<number, string>;
  readonly children: FakeChild[];
  readonly kills: { pid: number; signal: NodeJS.Signals }[];
  /** What the last bwrap read on fds 3 and 4. */
  readonly bwrap: {
    args?: string[];
    seccomp?: string;
    /** The supervisor's path and its arguments before the command. */
    supervisor?: string[];
    command?: readonly string[];
    maps?: Record<string, string>;
    options?: SpawnOptions;
  };
  /** Changes an entry as the host would (a new inode) and tells the directory's watchers. */
  replaceOnHost(path: string): void;
  script: { bwrap: BwrapScript; bridge: BridgeScript; strayFds: readonly number[] };
}

export const selfPid = 4000;
export const tools = {
  supervisor: "/opt/srt/dist/native/srt-supervise",
  bwrap: "/usr/bin/bwrap",
  sh: "/usr/bin/sh",
  setpriv: "/usr/bin/setpriv",
  nsenter: "/usr/bin/nsenter",
  socat: "/usr/bin/socat",
  unshare: "/usr/bin/unshare",
} as const;
/** As findTools gives them to a run with network access: the bridge's programs as one group. */
export const runTools = {
  supervisor: tools.supervisor,
  bwrap: tools.bwrap,
  sh: tools.sh,
  bridge: { setpriv: tools.setpriv, nsenter: tools.nsenter, socat: tools.socat },
} as const;

export function createFakeLinux(
  options: { readonly uid?: number; readonly env?: Readonly<Record<string, string>> } = {},
): FakeLinux {
  const events: string[] = [];
  const time = createFakeClock();
  const uid = options.uid ?? 1000;
  const fs = createMemFs(events, time.clock, uid);
  const procs = new Map<number, string>([[selfPid, "777"]]);
  const children: FakeChild[] = [];
  const kills: FakeLinux["kills"] = [];
  const groups = new Map<number, (signal: NodeJS.Signals) => void>();
  const watchers = new Map<string, (name: string | undefined) => void>();
  let nextPid = 5000;
  let runIds = 0;
  const bwrapSeen: FakeLinux["bwrap"] = {};
  const script: FakeLinux["script"] = { bwrap: {}, bridge: {}, strayFds: [] };

  const startBwrap = (args: readonly string[], o: SpawnOptions): FakeChild => {
    const s = script.bwrap;
    bwrapSeen.options = o;
    // Signals to bwrap itself: only SIGKILL matters (it takes the sandbox with it: --die-with-parent's other half).
    const child: FakeChild = new FakeChild(s.fate === "missing" ? undefined : nextPid++, o, (signal) => {
      events.push(`bwrap got ${signal}`);
      if (signal === "SIGKILL") end(null, signal);
    });
    children.push(child);
    if (s.fate === "missing") {
      // As Node does when execve fails: the pipes are closed, then "error" (and no "exit").
      setImmediate(() => child.fail(errno("ENOENT", `spawn ${tools.bwrap}`)));
      return child;
    }
    procs.set(child.pid!, "900");
    let sandbox: number | undefined;
    const end = (code: number | null, signal: NodeJS.Signals | null = null): void => {
      if (sandbox !== undefined) {
        procs.delete(sandbox);
        groups.delete(sandbox);
      }
      procs.delete(child.pid!);
      child.exit(code, signal);
    };
    const pipe = (fd: number) => child.stdio[fd] as PassThrough | null;
    const status = pipe(5)!;
    void (async () => {
      const argv = (await byteReader(pipe(3)!).all()).split("\0").slice(0, -1);
      bwrapSeen.args = argv;
      // The supervisor's configuration: "srt-supervise-1\0bpf\0<length>\0<bytes>…" (native/srt-supervise/config.c).
      const config = await byteReader(pipe(7)!).all();
      const [, , length = "0"] = config.split("\0", 3);
      const at = config.indexOf("\0", config.indexOf("\0bpf\0") + 5) + 1;
      bwrapSeen.seccomp = config.slice(at, at + Number(length));
      const inner = args.slice(args.indexOf("--") + 1);
      bwrapSeen.supervisor = inner.slice(0, 4);
      bwrapSeen.command = inner.slice(4);
      if (!child.alive) return;
      events.push("bwrap read its arguments and the supervisor's configuration");
      if (s.fate === "dies") {
        pipe(2)?.write("bwrap: Can't mount proc on /newroot/proc: Operation not permitted\n");
        events.push("bwrap died before starting a child");
        return end(1);
      }
      const pid = nextPid++;
      sandbox = pid;
      procs.set(pid, "901");
      // Until the command runs, the sandbox is bwrap's init alone: from outside only SIGKILL reaches it.
      let command: ((signal: NodeJS.Signals) => void) | undefined;
      groups.set(pid, (signal) => {
        if (command !== undefined) command(signal);
        else if (signal === "SIGKILL") end(null, "SIGKILL");
      });
      // The maps as they are when the first byte is *sent*: the real bwrap, in another process, may act on it at once.
      let mapsAtByte: Record<string, string> | undefined;
      const blockPipe = pipe(6);
      if (blockPipe !== null) {
        const snapshot = (): void => {
          if (mapsAtByte === undefined && fs.exists(`/proc/${pid}/uid_map`))
            mapsAtByte = Object.fromEntries(
              ["setgroups", "uid_map", "gid_map"].map((f) => [f, fs.read(`/proc/${pid}/${f}`)]),
            );
        };
        const write = blockPipe.write.bind(blockPipe) as (...a: unknown[]) => boolean;
        const endPipe = blockPipe.end.bind(blockPipe) as (...a: unknown[]) => PassThrough;
        blockPipe.write = ((...a: unknown[]) => (snapshot(), write(...a))) as typeof blockPipe.write;
        blockPipe.end = ((...a: unknown[]) => (
          typeof a[0] === "string" && snapshot(),
          endPipe(...a)
        )) as typeof blockPipe.end;
      }
      const block = blockPipe === null ? undefined : byteReader(blockPipe);
      const opt = (name: string): string | undefined =>
        argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined;
      if (argv.includes("--unshare-user") && opt("--info-fd") === "8") {
        for (const f of ["setgroups", "uid_map", "gid_map"]) fs.put(`/proc/${pid}/${f}`, "", 0);
        pipe(8)!.end(`{\n    "child-pid": ${pid}\n}\n`);
        const byte = await block!.next();
        if (!child.alive) return;
        // What bwrap finds once told the maps are written: without them it cannot go on.
        const maps = mapsAtByte ?? {};
        bwrapSeen.maps = maps;
        events.push(
          `bwrap: user namespace ready (byte ${JSON.stringify(byte)}, uid_map ${JSON.stringify(maps["uid_map"])})`,
        );
        if (byte === undefined || !maps["uid_map"]) {
          pipe(2)?.write("bwrap: setting up uid map: Permission denied\n");
          return end(1);
        }
      }
      status.write(`{ "child-pid": ${pid} }\n`);
      events.push(`bwrap: child ${pid}`);
      if (opt("--block-fd") === "6") {
        const byte = await block!.next();
        if (!child.alive) return;
        events.push(`bwrap: released (byte ${JSON.stringify(byte)})`);
      }
      const reports = pipe(9);
      if (s.supervisor === "fails") {
        events.push("supervisor failed");
        reports?.end("status\0failed\0\0installing the seccomp filter with a listener: Invalid argument\0");
        status.end(`{ "exit-code": 125 }\n`);
        return end(125);
      }
      events.push(`command started: ${bwrapSeen.command.join(" ")}`);
      reports?.write("status\0ready\0\0\0");
      const code = await new Promise<number>((resolve) => {
        command = (signal) => {
          if (signal !== "SIGKILL" && (s.ignores ?? []).includes(signal)) return;
          resolve(128 + (signal === "SIGKILL" ? 9 : signal === "SIGINT" ? 2 : 15));
        };
        const exit = s.command;
        if (exit !== "hang") setImmediate(() => resolve(exit ?? 0));
      });
      if (!child.alive) return;
      events.push(`command exited ${code}`);
      reports?.end();
      status.end(`{ "exit-code": ${code} }\n`);
      end(code);
    })();
    return child;
  };

  const startBridge = (args: readonly string[], o: SpawnOptions): FakeChild => {
    const target = Number(args[args.indexOf("--target") + 1]);
    const port = Number(/^TCP-LISTEN:(\d+),/.exec(args.find((a) => a.startsWith("TCP-LISTEN:")) ?? "")?.[1]);
    const child: FakeChild = new FakeChild(nextPid++, o, (signal) => {
      events.push(`bridge ${port} killed (${signal})`);
      child.exit(null, signal);
    });
    children.push(child);
    setImmediate(() => {
      if (!child.alive) return;
      if (script.bridge.fate === "fails") {
        (child.stderr as PassThrough).write("socat: E bind(5, {AF=2 127.0.0.1:3128}): Address in use\n");
        child.exit(1);
        return;
      }
      const tcp = `/proc/${target}/net/tcp`;
      const before = fs.exists(tcp) ? fs.read(tcp) : "  sl  local_address rem_address   st\n";
      fs.put(tcp, `${before}   0: 0100007F:${port.toString(16).toUpperCase().padStart(4, "0")} 00000000:0000 0A\n`, 0);
      events.push(`bridge ${port} listening in ${target}`);
    });
    return child;
  };

  const watch: WatchOs = {
    identity(path) {
      try {
        const st = fs.lstat(path);
        return `${st.dev}:${st.ino}`;
      } catch (e) {
        return (e as NodeJS.ErrnoException).code === "ENOENT" ? "absent" : "unknown";
      }
    },
    watchDir(dir, onEntry) {
      watchers.set(dir, onEntry);
      return { close: () => void watchers.delete(dir) };
    },
    every: () => ({ cancel: () => undefined }),
  };

  const deps: LinuxDeps = {
    fs,
    spawn(file, args, o) {
      events.push(`spawn ${file}`);
      if (file === tools.bwrap) return startBwrap(args, o);
      // A root run: bwrap under a private copy of the mount table (unshare execs it).
      if (file === tools.unshare && args.slice(0, 5).join(" ") === `--mount --propagation private -- ${tools.bwrap}`) {
        events.push("unshare: private mount table");
        return startBwrap(args.slice(5), o);
      }
      if (file === tools.setpriv) return startBridge(args, o);
      throw new Error(`fake: nothing to spawn as ${file}`);
    },
    kill(pid, signal) {
      kills.push({ pid, signal });
      events.push(`kill ${pid} ${signal}`);
      // The sandbox's group (or its first process) and bwrap are the processes there are to signal.
      const group = groups.get(Math.abs(pid));
      if (group !== undefined) return group(signal);
      const child = children.find((c) => c.pid === Math.abs(pid) && c.alive);
      if (child !== undefined) return void child.kill(signal);
      throw errno("ESRCH", `kill ${pid}`);
    },
    clock: time.clock,
    pid: selfPid,
    startTime: (pid) => procs.get(pid),
    env: options.env ?? {},
    runId: () => (++runIds).toString(16).padStart(12, "0"),
    inheritedFds(_keep, policy) {
      events.push(`inherited fds (${policy})`);
      if (policy === "refuse" && script.strayFds.length > 0)
        throw new Error(
          `file descriptors ${script.strayFds.join(", ")} of this process would be inherited by the sandboxed command`,
        );
      return policy === "close" ? script.strayFds : [];
    },
    watch,
    startWatchdog(afterDeath) {
      events.push(`watchdog started${afterDeath.length > 0 ? `: ${afterDeath.join(" ")}` : ""}`);
      let dismissed = false;
      return {
        expectTree: (p) => void events.push(`watchdog tree ${p}`),
        expectCgroup: (p) => void events.push(`watchdog cgroup ${p}`),
        expectGroup: (g) => void events.push(`watchdog group ${g}`),
        groupGone: (g) => void events.push(`watchdog ungroup ${g}`),
        dismiss() {
          if (!dismissed) events.push("watchdog dismissed");
          dismissed = true;
        },
      };
    },
  };

  return {
    deps,
    events,
    fs,
    time,
    procs,
    children,
    kills,
    bwrap: bwrapSeen,
    script,
    replaceOnHost(path) {
      const text = fs.exists(path) ? fs.read(path) : "";
      fs.removeTree(path);
      fs.put(path, text);
      watchers.get(parentOf(path))?.(nameOf(path));
    },
  };
}
