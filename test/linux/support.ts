/**
 * Shared by the real-sandbox tests: run the built CLI as root and as the
 * unprivileged user `srt-test` (when the tests run as root, as CI does), each
 * in a fresh directory tree that the runner owns — so anything the sandbox
 * refuses is refused by the sandbox, not by file permissions — and that is
 * removed afterwards.
 *
 * Layout of a box (all owned by the runner):
 *   <root>/work      the command's cwd (writable by default)
 *   <root>/outside   a sibling the policy does not make writable
 *   <root>/home      HOME, so nothing reads the real user's settings
 *   <root>/tmp       TMPDIR of srt itself: its state directory (srt-<uid>/,
 *                    with every run dir) lands here, so "nothing left behind"
 *                    is checked on a directory no other test or engineer uses
 *   <root>/settings.json
 */
import { spawn, spawnSync, type ChildProcess, type StdioOptions } from "node:child_process";
import {
  chownSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll } from "vitest";
import { repoRoot } from "../support/repo.js";

export const bwrapPath = ["/usr/bin/bwrap", "/usr/local/bin/bwrap", "/bin/bwrap"].find((p) => existsSync(p));
const isRoot = process.getuid?.() === 0;
const testUser = spawnSync("id", ["-u", "srt-test"], { encoding: "utf8" });
export const testUid = testUser.status === 0 ? Number(testUser.stdout.trim()) : undefined;
export const testGid =
  testUid === undefined ? undefined : Number(spawnSync("id", ["-g", "srt-test"], { encoding: "utf8" }).stdout.trim());

/** The built CLI, as users run it (`npm test` builds it first). */
export const srtBin = join(repoRoot, "dist/srt.cjs");

export const supported = process.platform === "linux" && bwrapPath !== undefined && existsSync(srtBin);
export const skipReason =
  process.platform !== "linux"
    ? `not Linux (${process.platform})`
    : bwrapPath === undefined
      ? "bwrap is not installed (apt-get install bubblewrap)"
      : `${srtBin} is missing (npm run build)`;

export type Runner = "root" | "srt-test" | "self";
/** Root and srt-test when we are root; otherwise just ourselves. */
export const runners: readonly Runner[] = isRoot ? (testUid !== undefined ? ["root", "srt-test"] : ["root"]) : ["self"];
export const missingTestUser = isRoot && testUid === undefined;

/** Absolute, so a test may run srt with a PATH that lacks everything (the missing-bwrap case). */
export const setprivPath = ["/usr/bin/setpriv", "/bin/setpriv"].find((p) => existsSync(p)) ?? "setpriv";

export const PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export interface Box {
  readonly runner: Runner;
  readonly root: string;
  readonly work: string;
  readonly outside: string;
  readonly home: string;
  readonly tmp: string;
  readonly settings: string;
  readonly uid: number;
  readonly gid: number;
  /** Absolute path inside the box. */
  at(rel: string): string;
  /** What `sh` runs the command under (boxesUnder); bwrap when absent. */
  readonly engine?: Engine;
}

/** Files (string content) and directories (null) to create, relative to the box root. */
export type Layout = Readonly<Record<string, string | null>>;

export function makeBox(runner: Runner, layout: Layout = {}, settings: unknown = {}): Box {
  // Not "srt-…": that prefix belongs to srt's own run dirs.
  const root = mkdtempSync(join(tmpdir(), "srtlx-"));
  const box: Box = {
    runner,
    root,
    work: join(root, "work"),
    outside: join(root, "outside"),
    home: join(root, "home"),
    tmp: join(root, "tmp"),
    settings: join(root, "settings.json"),
    uid: runner === "srt-test" ? testUid! : (process.getuid?.() ?? 0),
    gid: runner === "srt-test" ? testGid! : (process.getgid?.() ?? 0),
    at: (rel) => join(root, rel),
  };
  for (const d of ["work", "outside", "home", "tmp"]) mkdirSync(join(root, d));
  for (const [rel, content] of Object.entries(layout)) {
    const p = join(root, rel);
    mkdirSync(content === null ? p : dirname(p), { recursive: true });
    if (content !== null) writeFileSync(p, content);
  }
  writeFileSync(box.settings, JSON.stringify(settings));
  if (runner === "srt-test") chownTree(root, box.uid, box.gid);
  return box;
}

function chownTree(p: string, uid: number, gid: number): void {
  chownSync(p, uid, gid);
  if (lstatSync(p).isDirectory()) for (const e of readdirSync(p)) chownTree(join(p, e), uid, gid);
}

/** The part of vitest's test context that box cleanup needs (works for concurrent tests too). */
export interface TestHooks {
  onTestFinished(fn: () => void): void;
}

/**
 * A box removed when the test finishes; first it checks that srt left nothing
 * behind in its TMPDIR (a failure there fails the test).
 */
export function useBox(ctx: TestHooks, runner: Runner, layout: Layout = {}, settings: unknown = {}): Box {
  const box = makeBox(runner, layout, settings);
  ctx.onTestFinished(() => {
    try {
      const left = leftovers(box);
      if (left.length > 0) throw new Error(`srt left behind in its TMPDIR: ${left.join(", ")}`);
    } finally {
      removeBox(box);
    }
  });
  return box;
}

/** Writes the box's settings file: a value as JSON, a string as it is (for malformed files). */
export function writeSettings(box: Box, settings: unknown): void {
  writeFileSync(box.settings, typeof settings === "string" ? settings : JSON.stringify(settings));
  if (box.runner === "srt-test") chownSync(box.settings, box.uid, box.gid);
}

export function removeBox(box: Box): void {
  rmSync(box.root, { recursive: true, force: true });
}

/** Every path below dir (relative, sorted; directories end in "/"). */
export function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const r = rel === "" ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) {
        out.push(`${r}/`);
        walk(join(d, e.name), r);
      } else out.push(r);
    }
  };
  walk(dir, "");
  return out.sort();
}

export const read = (p: string): string | undefined => (existsSync(p) ? readFileSync(p, "utf8") : undefined);

/** The argv that runs `node srt.cjs args…` as the box's runner. */
/**
 * srt's entry as srt-test can run it: the checkout's dist, or — when CI checked the repository out
 * where srt-test cannot traverse (say under /root) — a world-readable copy (dist is self-contained:
 * srt.cjs + cli.cjs), removed when the test file is done.
 */
let readableCopy: string | undefined;
let copyDir: string | undefined;
// Each test file has its own instance of this module; its copy goes when the file is done.
afterAll(() => {
  if (copyDir !== undefined) rmSync(copyDir, { recursive: true, force: true });
});
function srtFor(box: Box): string {
  if (box.runner !== "srt-test") return srtBin;
  if (readableCopy !== undefined) return readableCopy;
  const ok =
    spawnSync(setprivPath, [`--reuid=${box.uid}`, `--regid=${box.gid}`, "--init-groups", "--", "test", "-r", srtBin], {
      stdio: "ignore",
    }).status === 0;
  if (ok) return (readableCopy = srtBin);
  const dir = (copyDir = mkdtempSync(join(tmpdir(), "srt-dist-")));
  cpSync(dirname(srtBin), join(dir, "dist"), { recursive: true });
  spawnSync("chmod", ["-R", "a+rX", dir]);
  return (readableCopy = join(dir, "dist", "srt.cjs"));
}

export function srtArgv(box: Box, args: readonly string[], node = process.execPath): string[] {
  const base = [node, srtFor(box), ...args];
  return box.runner === "srt-test"
    ? [setprivPath, `--reuid=${box.uid}`, `--regid=${box.gid}`, "--init-groups", "--", ...base]
    : base;
}

export function srtEnv(box: Box, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { PATH, HOME: box.home, TMPDIR: box.tmp, LANG: "C.UTF-8", NO_COLOR: "1", ...extra };
}

export interface Outcome {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

export interface SrtOptions {
  readonly input?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly timeoutMs?: number;
  readonly cwd?: string;
  /** Extra stdio entries after 0-2 (fd 3, 4, …), e.g. an open file to see whether it leaks in. */
  readonly extraFds?: readonly (number | "pipe" | "ignore")[];
  /** Replace the program (e.g. to wrap srt in `timeout` or `script`). */
  readonly wrap?: (argv: string[]) => string[];
}

/** Spawns srt (without waiting); the caller signals it or awaits `finish`. */
export function startSrt(
  box: Box,
  args: readonly string[],
  o: SrtOptions = {},
): { child: ChildProcess; done: Promise<Outcome> } {
  const argv = (o.wrap ?? ((a) => a))(srtArgv(box, args));
  const t0 = performance.now();
  const stdio: StdioOptions = ["pipe", "pipe", "pipe", ...(o.extraFds ?? [])];
  const child = spawn(argv[0]!, argv.slice(1), { cwd: o.cwd ?? box.work, env: srtEnv(box, o.env), stdio });
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr?.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  child.stdin?.on("error", () => undefined);
  child.stdin?.end(o.input ?? "");
  const timeoutMs = o.timeoutMs ?? 20_000;
  const done = new Promise<Outcome>((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("close", (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr, ms: performance.now() - t0 });
    });
  });
  return { child, done };
}

export const srt = (box: Box, args: readonly string[], o: SrtOptions = {}): Promise<Outcome> =>
  startSrt(box, args, o).done;

/** `srt --settings <box settings> -c script`, in the box's work dir (under `runtime`, default bwrap). */
export const sh = (box: Box, script: string, o: SrtOptions = {}): Promise<Outcome> =>
  srt(box, [...runtimeArgs(box), "--settings", box.settings, "-c", script], o);

/** runc, which `srt --runtime runc` runs (found by srt in the system directories). */
export const runcPath = ["/usr/sbin/runc", "/usr/bin/runc", "/sbin/runc", "/bin/runc"].find((p) => existsSync(p));
export type Engine = "bwrap" | "runc" | "crun";
/** crun, opt-in: it fails on a cgroup-v1 hybrid host until a v1 hugetlb hierarchy is mounted (README). */
export const crunPath = ["/usr/bin/crun", "/usr/sbin/crun", "/usr/local/bin/crun"].find((p) => existsSync(p));
/**
 * The engines the escape suites run under: bwrap, and runc (`srt --runtime runc`, the OCI
 * backend) when it is installed — a missing runc is reported by `missingRunc` (fatal under CI);
 * crun too when SRT_TEST_ENGINES names it (comma-separated), which then fails if it is missing.
 */
export const engines: readonly Engine[] = [
  "bwrap",
  ...(runcPath === undefined ? [] : (["runc"] as const)),
  ...((process.env["SRT_TEST_ENGINES"] ?? "").split(",").includes("crun") ? (["crun"] as const) : []),
];
export const missingRunc = runcPath === undefined;

/** The runners an engine's suites run as: crun runs as root only so far (srt refuses it rootless). */
export const runnersFor = (engine: Engine): readonly Runner[] =>
  engine === "crun" ? runners.filter((r) => r !== "srt-test") : runners;

/** The run mode's options that choose the box's engine (for tests that call srt themselves). */
export const runtimeArgs = (box: Box): string[] =>
  box.engine === undefined || box.engine === "bwrap" ? [] : ["--runtime", box.engine];

/** useBox for one engine: `sh` on its boxes runs under it. */
export const boxesUnder =
  (engine: Engine) =>
  (ctx: TestHooks, runner: Runner, layout: Layout = {}, settings: unknown = {}): Box => ({
    ...useBox(ctx, runner, layout, settings),
    engine,
  });

/**
 * Resolves once a run started with startSrt has printed `text` on stdout (a
 * script saying "ready"); rejects if it ends first. How tests wait for a
 * sandboxed command to reach a point, instead of sleeping and hoping. Call it
 * before yielding to the event loop after startSrt: earlier output is not seen.
 */
export function printed(run: { child: ChildProcess; done: Promise<Outcome> }, text: string): Promise<void> {
  let seen = "";
  return new Promise((resolve, reject) => {
    const onData = (d: string): void => {
      seen += d;
      if (!seen.includes(text)) return;
      run.child.stdout?.off("data", onData);
      resolve();
    };
    run.child.stdout?.on("data", onData);
    void run.done.then((o) =>
      reject(new Error(`the run ended before printing ${JSON.stringify(text)}: ${o.stdout} ${o.stderr}`)),
    );
  });
}

/** Parses `key=value` lines a test script printed. */
export function report(out: Outcome): Record<string, string> {
  const r: Record<string, string> = {};
  for (const line of out.stdout.split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) r[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return r;
}

/** Host pids whose command line contains marker (excluding ourselves). */
export function processesWith(marker: string): number[] {
  const pids: number[] = [];
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${e}/cmdline`, "utf8");
      if (cmd.includes(marker)) pids.push(Number(e));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/**
 * Polls until check() is true or the time is up; returns the last value of
 * check(). The time is a ceiling for a failure, not a schedule: a passing
 * check returns at once, so it is generous enough for a loaded machine.
 */
export async function eventually(check: () => boolean, ms = 10_000): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (check()) return true;
    if (Date.now() > end) return check();
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * What srt left in the box's TMPDIR once it is gone: only its state directory
 * (`srt-<uid>/`) may stay, holding an empty `runs/` — no run directory, no
 * placeholder record, no lock — and `code-cache/` and `compile-memo/` with finished
 * files (one written aside is a leftover). Anything else in the TMPDIR is a leftover too.
 */
const finished = { "code-cache": /^[0-9a-f]{16}-[0-9a-f]{16}\.bin$/, "compile-memo": /^[0-9a-f]{8}\.json$/ };

export function leftovers(box: Box): string[] {
  const left: string[] = [];
  for (const n of readdirSync(box.tmp)) {
    if (n !== `srt-${box.uid}`) {
      left.push(n);
      continue;
    }
    const reg = join(box.tmp, n);
    for (const e of readdirSync(reg)) {
      if (e === "runs") left.push(...readdirSync(join(reg, e)).map((r) => `${n}/runs/${r}`));
      else if (e === "code-cache" || e === "compile-memo")
        left.push(
          ...readdirSync(join(reg, e))
            .filter((f) => !finished[e].test(f))
            .map((f) => `${n}/${e}/${f}`),
        );
      else left.push(`${n}/${e}`);
    }
  }
  return left;
}
