/**
 * The generated program loaded for real: bwrap `--seccomp 3` with fd 3 open on
 * the rendered bytes, then escape attempts from a C probe and from Node, as
 * root and as the unprivileged user `srt-test`. Every attempt is also run
 * without the filter (the control): the kernel must answer differently there,
 * so a pass proves the filter — not the sandbox or the kernel config — refused
 * it, and deleting a rule turns the test red.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, closeSync, existsSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { constants, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lacking, unavailable } from "../support/requirements.js";
import {
  buildSeccomp,
  encodeSeccomp,
  seccompArchOf,
  type SeccompArch,
  type SeccompOptions,
} from "../../src/backends/seccomp/index.js";

const hostArch: SeccompArch | undefined = seccompArchOf(process.arch);
const bwrap = ["/usr/bin/bwrap", "/usr/local/bin/bwrap", "/bin/bwrap"].find((p) => existsSync(p));
const isRoot = process.getuid?.() === 0;
const hasTestUser = spawnSync("id", ["-u", "srt-test"]).status === 0;
const compiler = ["cc", "gcc", "clang"].find((c) => spawnSync(c, ["--version"]).status === 0);
const supported = process.platform === "linux" && hostArch !== undefined && bwrap !== undefined;
const skipReason =
  process.platform !== "linux"
    ? `not Linux (${process.platform})`
    : hostArch === undefined
      ? `no seccomp tables for ${process.arch}`
      : "bwrap is not installed (apt-get install bubblewrap)";

/** Who runs bwrap: root and srt-test when we are root (as CI is), else ourselves. */
type Runner = "root" | "srt-test" | "self";
const runners: readonly Runner[] = isRoot ? (hasTestUser ? ["root", "srt-test"] : ["root"]) : ["self"];

const KILLED = `killed by SIGSYS (exit ${128 + constants.signals.SIGSYS})`;
const filters = {
  strict: { allowUnixSockets: false, allowNestedUserNamespaces: false },
  unix: { allowUnixSockets: true, allowNestedUserNamespaces: false },
  userns: { allowUnixSockets: false, allowNestedUserNamespaces: true },
} as const;
type FilterName = keyof typeof filters;

let dir = "";
const filterPath = (name: FilterName): string => join(dir, `${name}.bpf`);
const probe = (): string => join(dir, "probe");

/** Runs argv in the sandbox with the named filter on fd 3 (or none, for the control). Returns a one-line outcome. */
function sandboxed(runner: Runner, filter: FilterName | undefined, argv: readonly string[]): string {
  const fd = filter === undefined ? undefined : openSync(filterPath(filter), "r");
  try {
    const args = [
      "--ro-bind",
      "/",
      "/",
      "--dev",
      "/dev",
      "--proc",
      "/proc",
      "--unshare-all",
      "--die-with-parent",
      "--new-session",
    ];
    if (fd !== undefined) args.push("--seccomp", "3");
    args.push(...argv);
    const [cmd, ...rest] =
      runner === "srt-test"
        ? ["setpriv", "--reuid=srt-test", "--regid=srt-test", "--init-groups", "--", bwrap ?? "bwrap", ...args]
        : [bwrap ?? "bwrap", ...args];
    const r = spawnSync(cmd ?? "bwrap", rest, {
      stdio: ["ignore", "pipe", "pipe", fd ?? "ignore"],
      encoding: "utf8",
      timeout: 20_000,
    });
    if (r.status === 128 + constants.signals.SIGSYS)
      return `${KILLED}${r.stdout.trim() === "" ? "" : ` after: ${r.stdout.trim()}`}`;
    if (r.status !== 0)
      return `exit ${String(r.status)} signal ${String(r.signal)}: ${r.stdout.trim()} ${r.stderr.trim()}`;
    return r.stdout.trim();
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

beforeAll(() => {
  if (!supported) return;
  // A directory srt-test can traverse, holding files it can read and run.
  dir = mkdtempSync(join(tmpdir(), "srt-seccomp-"));
  chmodSync(dir, 0o755);
  for (const [name, opts] of Object.entries(filters)) {
    const options: SeccompOptions = { arch: hostArch ?? "x86_64", ...opts };
    writeFileSync(filterPath(name as FilterName), encodeSeccomp(buildSeccomp(options)), { mode: 0o644 });
  }
  if (compiler !== undefined) {
    const source = fileURLToPath(new URL("./probe.c", import.meta.url));
    const r = spawnSync(compiler, ["-O1", "-Wall", "-o", probe(), source, "-lpthread"], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`compiling the probe failed:\n${r.stderr}`);
    chmodSync(probe(), 0o755);
  }
});

afterAll(() => {
  if (dir !== "") rmSync(dir, { recursive: true, force: true });
});

interface Probe {
  readonly mode: string;
  /** Outcome under the filter. */
  readonly filtered: string;
  /** Outcome without it, when it is the same on every kernel we run on; otherwise it only has to differ. */
  readonly control?: string;
  readonly filter?: FilterName;
  readonly only?: SeccompArch;
}

const EPERM = "errno=EPERM";
const probes: readonly Probe[] = [
  // What must keep working.
  { mode: "getpid", filtered: "ok", control: "ok" },
  { mode: "socket-inet", filtered: "ok", control: "ok" },
  { mode: "socketpair-stream", filtered: "ok", control: "ok" },
  { mode: "socketpair-seqpacket", filtered: "ok", control: "ok" },
  { mode: "clone-plain", filtered: "ok", control: "ok" },
  { mode: "spawn", filtered: "ok", control: "ok" },
  { mode: "thread", filtered: "ok", control: "ok" },
  { mode: "fionread", filtered: "errno=EBADF", control: "errno=EBADF" },
  // Unix sockets.
  { mode: "socket-unix", filtered: EPERM, control: "ok" },
  { mode: "socket-unix-high", filtered: EPERM, control: "ok" },
  { mode: "socketpair-dgram", filtered: EPERM, control: "ok" },
  { mode: "socketpair-raw", filtered: EPERM, control: "ok" },
  { mode: "socketpair-dgram-high", filtered: EPERM, control: "ok" },
  { mode: "socket-vsock", filtered: EPERM },
  // Everything else the filter refuses.
  { mode: "io_uring_setup", filtered: EPERM, control: "ok" },
  { mode: "unshare-user", filtered: EPERM, control: "ok" },
  { mode: "clone-user", filtered: EPERM, control: "ok" },
  { mode: "clone-user-high", filtered: EPERM, control: "ok" },
  { mode: "clone3", filtered: "errno=ENOSYS", control: "errno=EINVAL" },
  { mode: "setns", filtered: EPERM, control: "errno=EBADF" },
  { mode: "mount", filtered: EPERM, control: "errno=EINVAL" },
  { mode: "umount2", filtered: EPERM, control: "errno=ENOENT" },
  { mode: "tiocsti", filtered: EPERM, control: "errno=EBADF" },
  { mode: "tiocsti-high", filtered: EPERM, control: "errno=EBADF" },
  { mode: "tioclinux", filtered: EPERM, control: "errno=EBADF" },
  { mode: "keyctl", filtered: EPERM },
  { mode: "bpf", filtered: EPERM },
  { mode: "userfaultfd", filtered: EPERM },
  { mode: "perf_event_open", filtered: EPERM },
  { mode: "init_module", filtered: EPERM },
  // Foreign ABIs are killed, not refused: a refusal would still let a probe go on.
  { mode: "x32", filtered: KILLED, only: "x86_64" },
  { mode: "int80", filtered: KILLED, only: "x86_64" },
  // The switches relax exactly their rules, in the kernel too.
  { mode: "socket-unix", filter: "unix", filtered: "ok", control: "ok" },
  { mode: "socketpair-dgram", filter: "unix", filtered: "ok", control: "ok" },
  { mode: "socket-vsock", filter: "unix", filtered: EPERM },
  { mode: "unshare-user", filter: "userns", filtered: "ok", control: "ok" },
  { mode: "clone-user", filter: "userns", filtered: "ok", control: "ok" },
  { mode: "setns", filter: "userns", filtered: EPERM, control: "errno=EBADF" },
  { mode: "socket-unix", filter: "userns", filtered: EPERM, control: "ok" },
];

const NODE_UNIX_SERVER = [
  'const s = require("net").createServer();',
  's.on("error", (e) => console.log("errno=" + e.code));',
  's.listen("\\0srt-seccomp-" + process.pid, () => { console.log("ok"); s.close(); });',
].join(" ");
const NODE_CHILD = [
  'const cp = require("child_process");',
  'const out = cp.execFileSync("sh", ["-c", "echo child"], { encoding: "utf8" });',
  'const r = cp.spawnSync("true", { stdio: "pipe" });',
  'console.log(out === "child\\n" && r.status === 0 ? "ok" : "bad " + JSON.stringify([out, r.status, String(r.error)]));',
].join(" ");

describe.skipIf(lacking(!supported, skipReason))(`seccomp under real bwrap (${hostArch ?? "unsupported arch"})`, () => {
  if (isRoot && !hasTestUser)
    unavailable("as srt-test: user srt-test does not exist (CI creates it: useradd srt-test)");

  describe.each(runners)("as %s", (runner) => {
    it("the filter is installed on the command", () => {
      const status = (f: FilterName | undefined) =>
        sandboxed(runner, f, ["/bin/sh", "-c", "grep '^Seccomp:' /proc/self/status"]);
      expect(status("strict")).toMatch(/^Seccomp:\s+2$/);
      expect(status(undefined)).toMatch(/^Seccomp:\s+0$/);
    });

    it("Node: a unix socket server is refused with EPERM", () => {
      expect(sandboxed(runner, "strict", [process.execPath, "-e", NODE_UNIX_SERVER])).toBe(EPERM);
      expect(sandboxed(runner, undefined, [process.execPath, "-e", NODE_UNIX_SERVER])).toBe("ok");
      expect(sandboxed(runner, "unix", [process.execPath, "-e", NODE_UNIX_SERVER])).toBe("ok");
    });

    it("Node: child processes with piped stdio still work (stream socketpairs, clone3 → clone)", () => {
      expect(sandboxed(runner, "strict", [process.execPath, "-e", NODE_CHILD])).toBe("ok");
    });

    if (compiler === undefined) {
      unavailable("C probes: no C compiler (cc, gcc or clang) on PATH");
      return;
    }
    const applicable = probes
      .filter((p) => p.only === undefined || p.only === hostArch)
      .map((p) => ({ ...p, filter: p.filter ?? "strict" }));
    it.each(applicable)("probe $mode, $filter filter → $filtered", ({ mode, filtered, control, filter }) => {
      const withFilter = sandboxed(runner, filter, [probe(), mode]);
      const without = sandboxed(runner, undefined, [probe(), mode]);
      expect(withFilter).toBe(filtered);
      if (control !== undefined) expect(without).toBe(control);
      else if (filtered !== "ok") expect(without, "the unfiltered kernel must answer differently").not.toBe(filtered);
      if (filtered === KILLED) expect(without).toMatch(/^survived/);
    });
  });
});
