/**
 * Calls the supervisor (native/srt-supervise) checks besides the creating ones: opens for writing
 * of existing files (an always-protected file deeper than srt's search, reached directly or by a
 * planted link), openat2 (performed with the same checks as openat) and bind() of a unix socket
 * to a pathname (a new name like any other). Each refusal is checked on the host afterwards and
 * in --violations. Real bwrap, root and srt-test; the probes are python3 (ctypes for openat2).
 */
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { lacking, unavailable } from "../support/requirements.js";
import { missingTestUser, runners, skipReason, srt, supported, useBox, writeSettings, type Box } from "./support.js";

const deep = "a/b/c/d/e/f";
const violations = (file: string): Record<string, string>[] =>
  readFileSync(file, "utf8")
    .trim()
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Record<string, string>);

/** Runs `script` with the box's settings, collecting --violations. */
async function run(
  b: Box,
  script: string,
): Promise<{ stdout: string; stderr: string; lines: Record<string, string>[] }> {
  const file = join(b.outside, "violations.jsonl");
  const out = await srt(b, ["--settings", b.settings, "--violations", file, "-c", script], { timeoutMs: 60_000 });
  expect(out.status, out.stderr).toBe(0);
  return { stdout: out.stdout, stderr: out.stderr, lines: violations(file) };
}

/** python3: openat2(dirfd, path, {flags, mode, resolve}, size) → "ok <fd>" / the errno name; `read` prints the content. */
const OPENAT2 = String.raw`
import ctypes, errno, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
def openat2(dirfd, path, flags, mode=0, resolve=0, size=24, extra=b""):
    how = (ctypes.c_uint64 * 3)(flags, mode, resolve)
    buf = ctypes.create_string_buffer(bytes(how) + extra + b"\0" * max(0, size - 24 - len(extra)), max(size, 24))
    fd = libc.syscall(437, ctypes.c_int(dirfd), path.encode(), buf, ctypes.c_size_t(size))
    return fd if fd >= 0 else -ctypes.get_errno()
def show(tag, r, read=False):
    if r < 0: print(tag, errno.errorcode[-r]); return
    print(tag, "ok", os.read(r, 100).decode().strip() if read else ""); os.close(r)
W, C = os.O_WRONLY, os.O_WRONLY | os.O_CREAT
show("create-plain", openat2(-100, "new.txt", C, 0o644))
show("create-npmrc", openat2(-100, "x/y/.npmrc", C, 0o644))
show("write-deep", openat2(-100, "${deep}/.npmrc", W | os.O_TRUNC))
show("write-plain", openat2(-100, "plain.txt", W | os.O_APPEND))
show("read", openat2(-100, "plain.txt", os.O_RDONLY), True)
show("read-proc-self", openat2(-100, "/proc/self/comm", os.O_RDONLY), True)
d = os.open("x", os.O_PATH | os.O_DIRECTORY)
show("beneath-in", openat2(d, "y/in.txt", C, 0o644, 0x08))
show("beneath-out", openat2(d, "../out.txt", C, 0o644, 0x08))
show("beneath-link", openat2(d, "y/esc", C, 0o644, 0x08))
show("in-root-link", openat2(d, "y/esc", C, 0o644, 0x10))
show("beneath-npmrc", openat2(d, "y/.npmrc", C, 0o644, 0x08))
show("in-root-link-npmrc", openat2(d, "y/abs", C, 0o644, 0x10))
show("no-symlinks", openat2(d, "y/rel", C, 0o644, 0x04))
show("unknown-resolve", openat2(-100, "plain.txt", os.O_RDONLY, 0, 1 << 20))
show("mode-without-creat", openat2(-100, "plain.txt", os.O_RDONLY, 0o644))
show("small-size", openat2(-100, "plain.txt", os.O_RDONLY, 0, 0, 8))
show("big-size-zero", openat2(-100, "plain.txt", os.O_RDONLY, 0, 0, 64))
show("big-size-nonzero", openat2(-100, "plain.txt", os.O_RDONLY, 0, 0, 64, b"\1"))
`;

/** python3: a child on a new terminal (pty.fork: its own session) writes through /dev/tty, its terminal. */
const TTY = String.raw`
import os, pty
pid, fd = pty.fork()
if pid == 0:
    os.write(os.open("/dev/tty", os.O_WRONLY), b"via-tty\n"); os._exit(0)
out = b""
while True:
    try: d = os.read(fd, 100)
    except OSError: break
    if not d: break
    out += d
os.waitpid(pid, 0)
print("tty=" + out.decode().strip())
`;

/** python3: binds a unix socket (from socketpair: no AF_UNIX socket() needed) at each path; prints `<path> ok|ERRNO`. */
const BIND = String.raw`
import errno, socket, sys
for p in sys.argv[1:]:
    a, b = socket.socketpair()
    try:
        a.bind(p.replace("@", "\0", 1) if p.startswith("@") else p); print(p, "ok")
    except OSError as e:
        print(p, errno.errorcode[e.errno])
`;

describe.skipIf(lacking(!supported, skipReason))("the supervisor's write-opens, openat2 and bind", () => {
  if (missingTestUser) unavailable("as srt-test: user srt-test does not exist (useradd -m srt-test)");

  describe.each(runners)("as %s", (runner) => {
    it.concurrent(
      "an existing protected file deeper than the search is not opened for writing, directly or through a link; refusals are reported",
      async (ctx) => {
        const b = useBox(ctx, runner, {
          [`work/${deep}/.npmrc`]: "orig",
          "work/plain.txt": "v1",
          "outside/o.txt": "v1",
        });
        writeSettings(b, { mandatoryDenySearchDepth: 2 });
        const { stdout, stderr, lines } = await run(
          b,
          [
            `truncate -c -s 0 ${deep}/.npmrc; echo truncate=$?`,
            `python3 -c "open('${deep}/.npmrc', 'r+').write('x')" 2>/dev/null; echo rplus=$?`,
            `python3 -c "import os; os.truncate('${deep}/.npmrc', 1)" 2>/dev/null; echo truncate2=$?`,
            `ln -s ${deep}/.npmrc innocent && truncate -c -s 0 innocent; echo via-link=$?`,
            "truncate -c -s 0 ../outside/o.txt; echo outside=$?",
            "truncate -c -s 1 plain.txt; echo plain=$?",
            "echo ok > /dev/null; echo devnull=$?",
            // As the kernel answers: truncate(2) of a FIFO is EINVAL (and does not wait for a reader), "file/" ENOTDIR.
            `mkfifo ff && python3 -c "import os; os.truncate('ff', 0)" 2>&1 | grep -o "Invalid argument"`,
            `python3 -c "import os; os.open('plain.txt/', os.O_WRONLY)" 2>&1 | grep -o "Not a directory"`,
            `python3 - <<'EOF'\n${TTY}\nEOF`,
          ].join("\n"),
        );
        for (const k of ["truncate", "rplus", "truncate2", "via-link", "outside"])
          expect(stdout).toMatch(new RegExp(`^${k}=[1-9]`, "m"));
        for (const k of ["plain", "devnull"]) expect(stdout).toContain(`${k}=0`);
        expect(stdout).toContain("Invalid argument");
        expect(stdout).toContain("Not a directory");
        // /dev/tty is the caller's terminal, not the supervisor's (which has none).
        expect(stdout).toContain("tty=via-tty");
        expect(readFileSync(join(b.work, deep, ".npmrc"), "utf8")).toBe("orig");
        expect(readFileSync(join(b.outside, "o.txt"), "utf8")).toBe("v1");
        expect(statSync(join(b.work, "plain.txt")).size).toBe(1);
        expect(stderr).toMatch(/srt: refused \d+ writes: /);
        expect(lines.find((l) => l["path"] === join(b.work, deep, ".npmrc"))).toMatchObject({
          operation: "write",
          errno: "EACCES",
          rule: "mandatory:tool-config",
          allowWith: expect.stringMatching(/^none: srt always protects it/),
        });
        expect(lines.find((l) => l["path"] === join(b.outside, "o.txt"))).toMatchObject({
          operation: "write",
          errno: "EROFS",
          rule: "default:filesystem.allowWrite",
        });
      },
      90_000,
    );

    it.concurrent(
      "openat2 is performed with openat's checks, its RESOLVE_* flags honoured and bad arguments refused",
      async (ctx) => {
        const b = useBox(ctx, runner, {
          [`work/${deep}/.npmrc`]: "orig",
          "work/plain.txt": "v1",
          "work/x/y/keep": "",
          "work/out-target": "",
        });
        writeSettings(b, { mandatoryDenySearchDepth: 2 });
        const { stdout } = await run(
          b,
          [
            "ln -s ../../out-target x/y/esc",
            "ln -s keep x/y/rel",
            "ln -s /y/.npmrc x/y/abs",
            `python3 - <<'EOF'\n${OPENAT2}\nEOF`,
          ].join("\n"),
        );
        const got = Object.fromEntries(
          stdout
            .trim()
            .split("\n")
            .map((l) => [l.split(" ")[0], l.split(" ").slice(1).join(" ").trim()]),
        );
        expect(got).toEqual({
          "create-plain": "ok",
          "create-npmrc": "EACCES",
          "write-deep": "EACCES",
          "write-plain": "ok",
          read: "ok v1",
          "read-proc-self": "ok python3",
          "beneath-in": "ok",
          "beneath-out": "EXDEV",
          "beneath-link": "EXDEV",
          "in-root-link": "ok",
          "beneath-npmrc": "EACCES",
          "in-root-link-npmrc": "EACCES",
          "no-symlinks": "ELOOP",
          "unknown-resolve": "EINVAL",
          "mode-without-creat": "EINVAL",
          "small-size": "EINVAL",
          "big-size-zero": "ok",
          "big-size-nonzero": "E2BIG",
        });
        expect(readFileSync(join(b.work, deep, ".npmrc"), "utf8")).toBe("orig");
        expect(() => statSync(join(b.work, "x/y/.npmrc"))).toThrow();
        expect(statSync(join(b.work, "new.txt")).isFile()).toBe(true);
        expect(statSync(join(b.work, "x/y/in.txt")).isFile()).toBe(true);
        expect(() => statSync(join(b.work, "out.txt"))).toThrow();
        expect(statSync(join(b.work, "x/out-target")).isFile()).toBe(true);
      },
      90_000,
    );

    for (const [what, settings] of [
      ["default settings (a socketpair's socket)", {}],
      ["allowAllUnixSockets", { network: { allowAllUnixSockets: true } }],
    ] as const)
      it.concurrent(
        `bind() of a unix socket to a protected name is refused at any depth and reported (${what})`,
        async (ctx) => {
          const b = useBox(ctx, runner, { "work/a/b/c/.git/hooks/keep": "", "work/a/b/c/.git/HEAD": "ref: x\n" });
          writeSettings(b, { ...settings, mandatoryDenySearchDepth: 1 });
          const paths = [
            "n1/.npmrc",
            `${deep}/.npmrc`,
            "a/b/c/.git/hooks/pre-commit",
            "n1/n2/.mcp.json",
            "ok.sock",
            "@srt-abstract",
          ];
          const { stdout, lines } = await run(
            b,
            [`mkdir -p ${deep} n1/n2`, `python3 - ${paths.join(" ")} <<'EOF'\n${BIND}\nEOF`].join("\n"),
          );
          for (const p of paths.slice(0, 4)) {
            expect(stdout, p).toContain(`${p} EACCES`);
            expect(() => statSync(join(b.work, p)), p).toThrow();
            expect(
              lines.find((l) => l["path"] === join(b.work, p)),
              p,
            ).toMatchObject({ operation: "bind", errno: "EACCES" });
          }
          expect(stdout).toContain("ok.sock ok");
          expect(stdout).toContain("@srt-abstract ok");
          expect(statSync(join(b.work, "ok.sock")).isSocket()).toBe(true);
        },
        90_000,
      );
  });
});
