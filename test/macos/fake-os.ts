/**
 * A pretend macOS for the runner tests: a fake spawn that records every call
 * and lets the test drive `log stream` output and the command's exit, a fake
 * kill that delivers to the fake process group, an in-memory file system that
 * has macOS's /var → /private/var symlink, a recording watchdog.
 *
 * Nothing here is macOS. These tests prove what srt would ask of macOS, not
 * what macOS would do with it.
 */
import { EventEmitter } from "node:events";
import { readFileSync } from "node:fs";
import { PassThrough } from "node:stream";
import type {
  MacosDeps,
  MacosFs,
  ProxyModule,
  SpawnedProcess,
  SpawnRequest,
  TlsModule,
} from "../../src/runtime/macos/index.js";

export class FakeProcess extends EventEmitter implements SpawnedProcess {
  readonly stdin = new PassThrough();
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  readonly signals: NodeJS.Signals[] = [];
  exited = false;
  constructor(
    readonly pid: number | undefined,
    private readonly onKill: (p: FakeProcess, signal: NodeJS.Signals) => void = () => undefined,
  ) {
    super();
  }
  kill(signal: NodeJS.Signals = "SIGTERM"): boolean {
    this.signals.push(signal);
    this.onKill(this, signal);
    return true;
  }
  exit(code: number | null, signal: NodeJS.Signals | null = null): void {
    if (this.exited) return;
    this.exited = true;
    this.stdout.end();
    this.stderr.end();
    this.emit("exit", code, signal);
  }
  fail(code: string): void {
    this.exited = true;
    this.emit("error", Object.assign(new Error(`spawn ${code}`), { code }));
  }
  /** One canned ndjson record on stdout, as `log stream --style ndjson` would print it. */
  logRecord(eventMessage: string): void {
    this.stdout.write(
      `${JSON.stringify({ timestamp: "2024-05-01 10:00:00.000000+0000", eventMessage, processID: 0 })}\n`,
    );
  }
}

export interface SpawnCall {
  readonly file: string;
  readonly args: readonly string[];
  readonly request: SpawnRequest;
  readonly proc: FakeProcess;
  /** The profile file's text at the moment sandbox-exec was spawned (undefined for other calls). */
  readonly profileAtSpawn?: string | undefined;
}

export interface FakeOsOptions {
  readonly platform?: NodeJS.Platform;
  readonly log?: "ok" | "enoent" | "silent";
  readonly sandboxExec?: "ok" | "enoent";
  /** Signals the command survives (it handles them and goes on). */
  readonly ignores?: readonly NodeJS.Signals[];
  readonly fs?: MacosFs;
  readonly tmpdir?: string;
  readonly proxies?: () => Promise<ProxyModule>;
  readonly tls?: () => Promise<TlsModule>;
}

export const commandPid = 4242;

export function createFakeOs(o: FakeOsOptions = {}) {
  const calls: SpawnCall[] = [];
  const kills: { pid: number; signal: NodeJS.Signals }[] = [];
  const watchdog: string[] = [];
  const fs = o.fs ?? createMemFs({ dirs: ["/private/var/folders/x/T"], links: { "/var": "/private/var" } });
  let commandSpawned!: (c: SpawnCall) => void;
  const command = new Promise<SpawnCall>((resolve) => (commandSpawned = resolve));
  const deps: MacosDeps = {
    platform: o.platform ?? "darwin",
    tmpdir: o.tmpdir ?? "/var/folders/x/T/",
    fs,
    spawn(file, args, request) {
      if (file === "/usr/bin/log") {
        const proc = new FakeProcess(100, (p, s) => p.exit(null, s));
        calls.push({ file, args, request, proc });
        const mode = o.log ?? "ok";
        if (mode === "ok")
          setImmediate(() => proc.stdout.write('Filtering the log data using "eventMessage CONTAINS …"\n'));
        if (mode === "enoent") setImmediate(() => proc.fail("ENOENT"));
        return proc;
      }
      const proc = new FakeProcess(o.sandboxExec === "enoent" ? undefined : commandPid);
      const profileIndex = args.indexOf("-f") + 1;
      let profileAtSpawn: string | undefined;
      try {
        const read = (fs as Partial<MemFs>).read ?? ((path: string) => readFileSync(path, "utf8"));
        profileAtSpawn = profileIndex > 0 ? read(args[profileIndex]!) : undefined;
      } catch {
        profileAtSpawn = undefined;
      }
      const call = { file, args, request, proc, profileAtSpawn };
      calls.push(call);
      if (o.sandboxExec === "enoent") setImmediate(() => proc.fail("ENOENT"));
      commandSpawned(call);
      return proc;
    },
    kill(pid, signal) {
      kills.push({ pid, signal });
      const target = calls.find((c) => c.proc.pid === Math.abs(pid) && c.file !== "/usr/bin/log");
      if (target === undefined || target.proc.exited) throw Object.assign(new Error("kill ESRCH"), { code: "ESRCH" });
      if (signal === "SIGKILL" || !(o.ignores ?? []).includes(signal))
        setImmediate(() => target.proc.exit(null, signal));
    },
    proxies: o.proxies ?? (async () => import("../../src/runtime/proxy/index.js")),
    tls: o.tls ?? (async () => import("../../src/runtime/proxy/tls/setup.js")),
    clock: {
      now: () => performance.now(),
      after(ms, fn) {
        const t = setTimeout(fn, ms);
        return () => clearTimeout(t);
      },
    },
    tag: () => "srt-test01",
    startWatchdog: () => ({
      expectTree: (p) => void watchdog.push(`tree ${p}`),
      expectCgroup: (p) => void watchdog.push(`cgroup ${p}`),
      expectGroup: (g) => void watchdog.push(`group ${g}`),
      groupGone: (g) => void watchdog.push(`ungroup ${g}`),
      dismiss: () => void watchdog.push("done"),
    }),
  };
  return { deps, calls, kills, watchdog, fs, command };
}

export interface MemFs extends MacosFs {
  read(path: string): string;
  /** Every directory and file path that exists. */
  entries(): string[];
  modeOf(path: string): number | undefined;
}

/** An in-memory file system with symlinks (absolute link path → absolute target) and files (path → text, their directories made). */
export function createMemFs(init: {
  dirs: readonly string[];
  links?: Readonly<Record<string, string>>;
  files?: Readonly<Record<string, string>>;
}): MemFs {
  const dirs = new Set<string>(["/"]);
  const files = new Map<string, { text: string; mode: number }>();
  const modes = new Map<string, number>();
  const links = new Map(Object.entries(init.links ?? {}));
  const enoent = (p: string) => Object.assign(new Error(`ENOENT: ${p}`), { code: "ENOENT" });
  const eexist = (p: string) => Object.assign(new Error(`EEXIST: ${p}`), { code: "EEXIST" });
  for (const d of [...init.dirs, ...Object.keys(init.files ?? {}).map((f) => f.slice(0, f.lastIndexOf("/")))]) {
    let at = "";
    for (const part of d.split("/").filter(Boolean)) dirs.add((at += `/${part}`));
  }
  for (const [path, text] of Object.entries(init.files ?? {})) files.set(path, { text, mode: 0o644 });
  const resolve = (path: string): string => {
    let out = "";
    for (const part of path.split("/").filter(Boolean)) {
      out += `/${part}`;
      for (let hops = 0; links.has(out) && hops < 40; hops++) out = links.get(out)!;
    }
    return out === "" ? "/" : out;
  };
  const parentOf = (p: string): string => p.slice(0, p.lastIndexOf("/")) || "/";
  const needParent = (p: string): void => {
    if (!dirs.has(resolve(parentOf(p)))) throw enoent(p);
  };
  const exists = (p: string): boolean => dirs.has(p) || files.has(p);
  let counter = 0;
  return {
    realpath(p) {
      const r = resolve(p);
      if (!exists(r)) throw enoent(p);
      return r;
    },
    mkdtemp(prefix) {
      needParent(prefix);
      const p = `${resolve(parentOf(prefix))}/${prefix.slice(prefix.lastIndexOf("/") + 1)}${(++counter).toString().padStart(6, "A")}`;
      if (exists(p)) throw eexist(p);
      dirs.add(p);
      modes.set(p, 0o700);
      return `${parentOf(prefix)}/${p.slice(p.lastIndexOf("/") + 1)}`;
    },
    mkdir(p, mode) {
      needParent(p);
      if (exists(resolve(p))) throw eexist(p);
      dirs.add(resolve(p));
      modes.set(resolve(p), mode);
    },
    writeNewFile(p, text, mode) {
      needParent(p);
      if (exists(resolve(p))) throw eexist(p);
      files.set(resolve(p), { text, mode });
    },
    appendFile(p, text, mode) {
      needParent(p);
      const f = files.get(resolve(p));
      files.set(resolve(p), { text: (f?.text ?? "") + text, mode: f?.mode ?? mode });
    },
    removeTree(p) {
      const r = resolve(p);
      for (const set of [dirs, files])
        for (const k of [...set.keys()]) if (k === r || k.startsWith(`${r}/`)) set.delete(k);
    },
    read(p) {
      const f = files.get(resolve(p));
      if (f === undefined) throw enoent(p);
      return f.text;
    },
    readFile: (p) => files.get(resolve(p))?.text,
    entries: () => [...dirs, ...files.keys()].sort(),
    modeOf: (p) => files.get(resolve(p))?.mode ?? modes.get(resolve(p)),
  };
}
