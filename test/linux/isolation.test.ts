/**
 * What the sandbox isolates besides files, under real bwrap as root and as
 * srt-test: processes (/proc), SysV IPC, capabilities and setuid binaries,
 * unix sockets and io_uring (seccomp), TIOCSTI, and the file descriptors that
 * reach the command. Where the host would answer differently, the test first
 * shows that (the control), so a pass proves the sandbox refused it.
 */
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, closeSync, copyFileSync, openSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { lacking, unavailable } from "../support/requirements.js";
import {
  missingTestUser,
  PATH,
  processesWith,
  report,
  runnersFor,
  sh,
  skipReason,
  supported,
  useBox,
  type Box,
  boxesUnder,
  engines,
  missingRunc,
} from "./support.js";

const py = "/usr/bin/python3";
const hasPython = spawnSync(py, ["-c", "0"]).status === 0;
const hasScript = spawnSync("script", ["--version"]).status === 0;
const hasIpcmk = spawnSync("ipcmk", ["--version"]).status === 0;

/** Runs argv on the host as the box's runner (the control for an in-sandbox attempt). */
function onHost(b: Box, argv: readonly string[]): { status: number | null; stdout: string } {
  const full =
    b.runner === "srt-test"
      ? ["setpriv", `--reuid=${b.uid}`, `--regid=${b.gid}`, "--init-groups", "--", ...argv]
      : [...argv];
  const r = spawnSync(full[0]!, full.slice(1), { encoding: "utf8", env: { PATH }, cwd: b.work });
  return { status: r.status, stdout: r.stdout.trim() };
}

/** A python probe that prints NAME=ok or NAME=<errno name>. */
const probe = (name: string, body: string): string =>
  `${py} -c 'import ctypes, errno, os, socket
try:
    ${body}
    print("${name}=ok")
except OSError as e:
    print("${name}=" + errno.errorcode[e.errno])'`;

const shq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

describe.skipIf(lacking(!supported, skipReason))("isolation under real bwrap", () => {
  if (missingTestUser) unavailable("as srt-test: user srt-test does not exist (useradd -m srt-test)");
  if (missingRunc) unavailable("under runc (srt --runtime runc): runc is not installed (apt-get install runc)");
  if (!hasPython) unavailable("socket/io_uring/TIOCSTI probes: /usr/bin/python3 is missing");
  if (!hasIpcmk) unavailable("SysV IPC probe: ipcmk is missing (util-linux)");
  if (!hasScript) unavailable("TIOCSTI probe: script is missing (bsdutils)");

  describe.each(engines)("under %s", (engine) => {
    const useBox = boxesUnder(engine);
    describe.each(runnersFor(engine))("as %s", (runner) => {
      it.concurrent(
        "/proc shows only the sandbox's processes; a host process cannot be seen or signalled",
        async (ctx) => {
          const b = useBox(ctx, runner);
          const marker = `${Math.floor(Math.random() * 1e6)}.${process.pid}`;
          const host = spawn("sleep", [marker], { stdio: "ignore" });
          try {
            expect(processesWith(marker), "the control: the host sees it").toEqual([host.pid]);
            // Assembled in the shell (and matched as [.]), so no command line in the sandbox contains the marker itself.
            const [m1, m2] = marker.split(".");
            const out = await sh(
              b,
              `m1=${m1}; m2=${m2}; echo pids=$(ls /proc | grep -cE '^[0-9]+$'); echo seen=$(cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\\0' ' ' | grep -c "$m1[.]$m2"); kill -0 ${host.pid} 2>/dev/null && echo kill=ok || echo kill=refused; echo me=$$`,
            );
            const r = report(out);
            expect(r["seen"]).toBe("0");
            expect(r["kill"]).toBe("refused");
            // bwrap's init, the shell, and its command substitutions: a handful, nothing like the host's.
            expect(Number(r["pids"])).toBeLessThan(8);
            expect(Number(r["me"])).toBeLessThan(10);
          } finally {
            host.kill("SIGKILL");
          }
        },
      );

      it.skipIf(!hasIpcmk).concurrent("ipcs shows no host SysV shared memory segment", async (ctx) => {
        const b = useBox(ctx, runner);
        const made = spawnSync("ipcmk", ["-M", "4096", "-p", "0644"], { encoding: "utf8" });
        const id = /id:\s*(\d+)/.exec(made.stdout)?.[1];
        expect(id, made.stderr).toBeDefined();
        try {
          expect(onHost(b, ["ipcs", "-m"]).stdout).toMatch(new RegExp(`\\s${id}\\s`));
          const r = report(
            await sh(
              b,
              `echo segments=$(ipcs -m | grep -cE '^0x'); ipcs -m -i ${id} 2>&1 | grep -q 'not found' && echo by_id=absent || echo by_id=seen`,
            ),
          );
          expect(r).toEqual({ segments: "0", by_id: "absent" });
        } finally {
          spawnSync("ipcrm", ["-m", id ?? "-1"]);
        }
      });

      it.concurrent("no capabilities, and setuid binaries (su, a setuid copy of bash) give no root", async (ctx) => {
        const b = useBox(ctx, runner);
        // Owned by root, setuid, in a directory the runner can reach.
        const suid = b.at("suid-bash");
        copyFileSync("/bin/bash", suid);
        chmodSync(suid, 0o4755);
        // The control: on the host the copy does give root to srt-test.
        if (runner === "srt-test") expect(onHost(b, [suid, "-p", "-c", "id -u"]).stdout).toBe("0");
        const caps = "grep -E '^Cap(Eff|Prm|Amb)' /proc/self/status | tr -d '\\t' | tr ':' '='";
        const out = await sh(
          b,
          `${caps}; echo suid_uid=$(${suid} -p -c 'id -u'); echo suid_eff=$(${suid} -p -c "grep ^CapEff /proc/self/status | cut -f2"); su -c 'echo su=ROOT' </dev/null >/dev/null 2>&1; echo su_rc=$?; sudo -n true 2>/dev/null; echo sudo_rc=$?`,
        );
        const r = report(out);
        expect(r).toMatchObject({
          CapEff: "0000000000000000",
          CapPrm: "0000000000000000",
          CapAmb: "0000000000000000",
          suid_eff: "0000000000000000",
        });
        // Under runc the caller is uid 0 of the container (root, or mapped to the caller in a user namespace).
        expect(r["suid_uid"]).toBe(engine !== "bwrap" ? "0" : String(b.uid));
        expect(r["su_rc"]).not.toBe("0");
        expect(r["sudo_rc"]).not.toBe("0");
        expect(out.stdout).not.toContain("su=ROOT");
      });

      it.skipIf(!hasPython).concurrent(
        "AF_UNIX socket and DGRAM socketpair are refused (EPERM); stream socketpairs and Node child processes work",
        async (ctx) => {
          const b = useBox(ctx, runner);
          const refused = [
            probe("unix", "socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)"),
            probe("unix_dgram", "socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)"),
            probe("pair_dgram", "socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)"),
          ];
          const script = [
            ...refused,
            probe(
              "pair_stream",
              'a, c = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM); a.send(b"x"); c.recv(1) == b"x" or exit("no data")',
            ),
            probe("inet", "socket.socket(socket.AF_INET, socket.SOCK_STREAM)"),
            `${process.execPath} -e "console.log('node_child=' + require('child_process').execSync('echo ok', { encoding: 'utf8' }).trim())"`,
          ].join("\n");
          const r = report(await sh(b, script));
          expect(r).toEqual({
            unix: "EPERM",
            unix_dgram: "EPERM",
            pair_dgram: "EPERM",
            pair_stream: "ok",
            inet: "ok",
            node_child: "ok",
          });
          // The control: the host allows all of it.
          expect(onHost(b, ["sh", "-c", refused.join("\n")]).stdout).toBe("unix=ok\nunix_dgram=ok\npair_dgram=ok");
        },
      );

      it.skipIf(!hasPython).concurrent("io_uring_setup is refused", async (ctx) => {
        const b = useBox(ctx, runner);
        const setup = probe(
          "uring",
          'p = ctypes.create_string_buffer(120); l = ctypes.CDLL(None, use_errno=True); fd = l.syscall(425, 4, p); fd >= 0 or (_ for _ in ()).throw(OSError(ctypes.get_errno(), "io_uring_setup"))',
        );
        const r = report(await sh(b, setup));
        expect(r).toEqual({ uring: "EPERM" });
        expect(onHost(b, ["sh", "-c", setup]).stdout).toBe("uring=ok");
      });

      it.skipIf(!hasPython || !hasScript).concurrent(
        "TIOCSTI into the terminal srt runs on is refused",
        async (ctx) => {
          const b = useBox(ctx, runner);
          const inject = probe("tiocsti", 'import fcntl, termios; fcntl.ioctl(0, termios.TIOCSTI, b"x")');
          // script(1) gives srt a pseudo-terminal as stdin, as an interactive shell would.
          const out = await sh(b, `[ -t 0 ] && echo tty=yes || echo tty=no\n${inject}`, {
            wrap: (argv) => ["script", "-qec", argv.map(shq).join(" "), "/dev/null"],
          });
          const r = report({ ...out, stdout: out.stdout.replace(/\r/g, "") });
          // runc without a terminal copies stdio through pipes: the user's terminal never reaches the
          // container at all (seccomp still refuses TIOCSTI on whatever fd 0 is).
          expect(r).toEqual({ tty: engine === "runc" ? "no" : "yes", tiocsti: "EPERM" });
        },
      );

      it.concurrent(
        "only stdin, stdout and stderr are open in the command, also when srt's caller leaked more",
        async (ctx) => {
          const b = useBox(ctx, runner, { "outside/secret-handle": "SECRET" });
          const fd = openSync(b.at("outside/secret-handle"), "r");
          try {
            // fd 20 (a host file) and fd 21 (a pipe) are inherited by srt without close-on-exec.
            const extraFds = [...Array.from({ length: 17 }, () => "ignore" as const), fd, "pipe" as const];
            const out = await sh(
              b,
              `echo fds=$(ls /proc/self/fd | tr '\\n' ' '); ${py} -c 'import os; print(os.read(20, 100).decode())' 2>/dev/null`,
              { extraFds },
            );
            const fds = (report(out)["fds"] ?? "").trim().split(" ").map(Number).sort();
            // ls has its own directory fd open (3 at most once the others are gone).
            expect(
              fds.filter((n) => n > 2),
              out.stdout,
            ).toEqual([3]);
            expect(out.stdout).not.toContain("SECRET");
          } finally {
            closeSync(fd);
          }
        },
      );
    });
  });
});
