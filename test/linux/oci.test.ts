/**
 * What only the runc engine (`srt --runtime runc`, the OCI backend) has to
 * prove, on the real kernel as root and as srt-test (rootless runc):
 *   - recursive read-only binds: a read-write mount below a read-only host
 *     directory stays read-only in the container (`rro`); the same bundle
 *     with plain `ro` lets the write through (the control);
 *   - srt's supervisor is the container's process and its BPF program the one
 *     filter: it refuses the kernel probes (test/seccomp/probe.c) and kills
 *     foreign ABIs; the compiled bundle's own OCI profile (for engines that run
 *     no supervisor), run by runc directly, refuses the same probes;
 *   - a SIGKILLed srt leaves no container process, run directory or cgroup.
 * The escape and network suites (isolation, write, read, kernel-knobs,
 * test/network) run under runc as well (boxesUnder).
 */
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { constants, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lacking, unavailable } from "../support/requirements.js";
import {
  boxesUnder,
  eventually,
  leftovers,
  missingRunc,
  missingTestUser,
  printed,
  processesWith,
  report,
  runcPath,
  runners,
  sh,
  skipReason,
  srt,
  startSrt,
  supported,
} from "./support.js";

const isRoot = process.getuid?.() === 0;
const compiler = ["cc", "gcc", "clang"].find((c) => spawnSync(c, ["--version"]).status === 0);
const useBox = boxesUnder("runc");
const KILLED = `killed by SIGSYS (${128 + constants.signals.SIGSYS})`;

/** What the strict filter answers, from test/seccomp/kernel.test.ts's probe table (x86_64). */
const probes: Readonly<Record<string, string>> = {
  getpid: "ok",
  "socket-inet": "ok",
  "socketpair-stream": "ok",
  "socketpair-seqpacket": "ok",
  "clone-plain": "ok",
  spawn: "ok",
  thread: "ok",
  "socket-unix": "errno=EPERM",
  "socket-unix-high": "errno=EPERM",
  "socketpair-dgram": "errno=EPERM",
  "socketpair-raw": "errno=EPERM",
  "socketpair-dgram-high": "errno=EPERM",
  "socket-vsock": "errno=EPERM",
  io_uring_setup: "errno=EPERM",
  "unshare-user": "errno=EPERM",
  "clone-user": "errno=EPERM",
  "clone-user-high": "errno=EPERM",
  clone3: "errno=ENOSYS",
  setns: "errno=EPERM",
  mount: "errno=EPERM",
  umount2: "errno=EPERM",
  tiocsti: "errno=EPERM",
  "tiocsti-high": "errno=EPERM",
  tioclinux: "errno=EPERM",
  keyctl: "errno=EPERM",
  bpf: "errno=EPERM",
  userfaultfd: "errno=EPERM",
  perf_event_open: "errno=EPERM",
  init_module: "errno=EPERM",
  ...(process.arch === "x64" ? { x32: KILLED, int80: KILLED } : {}),
};

/** The cgroups runc made for a run, in any hierarchy (root runs only). */
const cgroupsOf = (runId: string): string[] =>
  readdirSync("/sys/fs/cgroup").flatMap((h) =>
    existsSync(`/sys/fs/cgroup/${h}/srt-${runId}`) ? [`${h}/srt-${runId}`] : [],
  );

describe.skipIf(
  lacking(!supported || missingRunc, missingRunc ? "runc is not installed (apt-get install runc)" : skipReason),
)("the runc engine", () => {
  if (missingTestUser) unavailable("as srt-test: user srt-test does not exist (useradd -m srt-test)");
  let dir = "";
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "srt-oci-"));
    chmodSync(dir, 0o755);
    if (compiler === undefined) return;
    const source = fileURLToPath(new URL("../seccomp/probe.c", import.meta.url));
    const r = spawnSync(compiler, ["-O1", "-o", join(dir, "probe"), source, "-lpthread"], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`compiling the probe failed:\n${r.stderr}`);
    chmodSync(join(dir, "probe"), 0o755);
  });
  afterAll(() => {
    if (dir !== "") rmSync(dir, { recursive: true, force: true });
  });

  describe.each(runners)("as %s", (runner) => {
    if (compiler === undefined) unavailable("seccomp probes: no C compiler (cc, gcc or clang)");
    else
      it.concurrent(
        "srt's filter in the container (the supervisor's, alone) refuses every kernel probe",
        async (ctx) => {
          const b = useBox(ctx, runner);
          const script = Object.keys(probes)
            .map(
              (m) =>
                `out=$(${dir}/probe ${m}); rc=$?; [ $rc -eq 0 ] && echo "${m}=$out" || echo "${m}=killed by SIGSYS ($rc)"`,
            )
            .join("\n");
          const out = await sh(
            b,
            `echo seccomp=$(grep '^Seccomp:' /proc/self/status | cut -f2)\necho filters=$(grep '^Seccomp_filters:' /proc/self/status | cut -f2)\n${script}`,
            {
              timeoutMs: 60_000,
            },
          );
          expect(out.status, out.stderr).toBe(0);
          const r = report(out);
          expect(r["seccomp"], out.stdout).toBe("2");
          // One filter: runc installs none (linux.seccomp is left out), the supervisor its own.
          expect(r["filters"], out.stdout).toBe("1");
          const got = Object.fromEntries(Object.keys(probes).map((m) => [m, r[m]]));
          expect(got).toEqual(probes);
        },
      );

    if (!isRoot) unavailable("read-write submount: mounting a tmpfs needs root");
    else
      it.concurrent("a read-write mount below a read-only host directory stays read-only (rro)", async (ctx) => {
        const b = useBox(ctx, runner);
        const sub = b.at("outside/sub");
        mkdirSync(sub);
        expect(spawnSync("mount", ["-t", "tmpfs", "-o", "mode=1777", "srt-rro-test", sub]).status).toBe(0);
        try {
          // The control: on the host the submount is writable for this runner.
          const host = spawnSync(
            "setpriv",
            [
              `--reuid=${b.uid}`,
              `--regid=${b.gid}`,
              "--clear-groups",
              "--",
              "sh",
              "-c",
              `echo x > ${sub}/host && echo wrote`,
            ],
            { encoding: "utf8" },
          );
          expect(host.stdout.trim()).toBe("wrote");
          const out = await sh(
            b,
            `if err=$( (echo x > ${sub}/f) 2>&1 ); then echo write=done; else echo "write=\${err##*: }"; fi`,
          );
          expect(report(out), out.stderr).toEqual({ write: "Read-only file system" });
        } finally {
          spawnSync("umount", ["-l", sub]);
        }
      });

    it.concurrent("a SIGKILLed srt leaves no container process, run directory or cgroup", async (ctx) => {
      const b = useBox(ctx, runner);
      // Assembled by the shell, so only the command's own cmdline holds it (not srt's, nor runc's).
      const [m1, m2] = ["srt-oci-kill", `${runner}-${process.pid}`];
      const marker = `${m1}.${m2}`;
      const run = startSrt(
        b,
        [
          "--runtime",
          "runc",
          "--settings",
          b.settings,
          "--",
          "sh",
          "-c",
          `m1=${m1}; echo ready; exec sh -c "sleep 300; :" "$m1.${m2}"`,
        ],
        { timeoutMs: 60_000 },
      );
      await printed(run, "ready");
      expect(await eventually(() => processesWith(marker).length === 1), "the control: the command runs").toBe(true);
      const runs = readdirSync(join(b.tmp, `srt-${b.uid}`, "runs"));
      expect(runs).toHaveLength(1);
      const runId = runs[0]!;
      if (runner === "root")
        expect(cgroupsOf(runId).length, `the control: runc made cgroups (${runId})`).toBeGreaterThan(0);
      run.child.kill("SIGKILL");
      await run.done;
      expect(await eventually(() => processesWith(marker).length === 0, 20_000), "the command outlived srt").toBe(true);
      expect(
        await eventually(() => cgroupsOf(runId).length === 0, 20_000),
        `cgroups left: ${cgroupsOf(runId).join(" ")}`,
      ).toBe(true);
      // The watchdog removes the run directory, then `srt __cleanup <state> <run id>` releases the placeholders.
      expect(await eventually(() => processesWith(runId).length === 0, 20_000), "the watchdog is still at work").toBe(
        true,
      );
      expect(await eventually(() => leftovers(b).length === 0, 20_000), leftovers(b).join(" ")).toBe(true);
    });
  });

  if (!isRoot) unavailable("rro control: needs root (a tmpfs mount, runc run of a hand-edited bundle)");
  else
    it.skipIf(compiler === undefined)(
      "the compiled bundle's own profile (for engines without srt's supervisor) refuses every kernel probe",
      async (ctx) => {
        const b = useBox(ctx, "root");
        const bundle = b.at("bundle");
        const made = await srt(b, ["compile", "--target", "oci", b.settings, "-o", bundle]);
        expect(made.status, made.stderr).toBe(0);
        const config = JSON.parse(readFileSync(join(bundle, "config.json"), "utf8")) as {
          process: { args: string[] };
          linux: { seccomp?: unknown };
        };
        // srt --runtime runc leaves linux.seccomp out (its supervisor installs the BPF program); here runc installs it.
        expect(config.linux.seccomp).toBeDefined();
        const script = Object.keys(probes)
          .map(
            (m) =>
              `out=$(${dir}/probe ${m}); rc=$?; [ $rc -eq 0 ] && echo "${m}=$out" || echo "${m}=killed by SIGSYS ($rc)"`,
          )
          .join("\n");
        writeFileSync(
          join(bundle, "config.json"),
          JSON.stringify({ ...config, process: { ...config.process, args: ["sh", "-c", script] } }),
        );
        const r = spawnSync(runcPath!, ["--root", b.at("runc"), "run", "--bundle", bundle, `srt-prof-${process.pid}`], {
          encoding: "utf8",
          timeout: 60_000,
        });
        expect(r.status, r.stderr).toBe(0);
        const got = report({ stdout: r.stdout } as Parameters<typeof report>[0]);
        expect(Object.fromEntries(Object.keys(probes).map((m) => [m, got[m]]))).toEqual(probes);
      },
    );

  it("the control for rro: the same bundle with plain ro leaves the submount writable", async (ctx) => {
    const b = useBox(ctx, "root");
    const sub = b.at("outside/sub");
    mkdirSync(sub);
    expect(spawnSync("mount", ["-t", "tmpfs", "srt-rro-control", sub]).status).toBe(0);
    try {
      const bundle = b.at("bundle");
      const made = await srt(b, ["compile", "--target", "oci", b.settings, "-o", bundle]);
      expect(made.status, made.stderr).toBe(0);
      const config = JSON.parse(readFileSync(join(bundle, "config.json"), "utf8")) as {
        process: { args: string[] };
        mounts: { destination: string; options: string[] }[];
      };
      const write = `if (echo x > ${sub}/f) 2>/dev/null; then echo write=done; else echo write=refused; fi`;
      const runWith = (options: (o: string[]) => string[], id: string): string => {
        const edited = {
          ...config,
          process: { ...config.process, args: ["sh", "-c", write] },
          mounts: config.mounts.map((m) => (m.destination === "/tmp" ? { ...m, options: options(m.options) } : m)),
        };
        writeFileSync(join(bundle, "config.json"), JSON.stringify(edited));
        const r = spawnSync(runcPath!, ["--root", b.at("runc"), "run", "--bundle", bundle, id], {
          encoding: "utf8",
          timeout: 30_000,
        });
        return `${r.stdout.trim()}${r.status === 0 ? "" : ` (runc: ${r.stderr.trim()})`}`;
      };
      expect(runWith((o) => o, `srt-rro-${process.pid}`)).toBe("write=refused");
      expect(runWith((o) => o.map((x) => (x === "rro" ? "ro" : x)), `srt-ro-${process.pid}`)).toBe("write=done");
    } finally {
      spawnSync("umount", ["-l", sub]);
    }
  });
});
