/**
 * The calls srt's supervisor performs for the command (native/srt-supervise) behave as the
 * kernel's own would: the caller's umask of the moment (changed between calls, and in 300
 * short-lived processes, each with its own), the caller's directory fds (a bad one EBADF, a file
 * ENOTDIR, a protected name through one refused), and a thread's own cwd, umask and fd table
 * (unshare(CLONE_FS), unshare(CLONE_FILES)). The supervisor keeps the callers' /proc entries open
 * from call to call; these are the cases where a kept entry could answer for the wrong one.
 */
import { execFileSync } from "node:child_process";
import { existsSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { lacking, unavailable } from "../support/requirements.js";
import { missingTestUser, runners, sh, skipReason, supported, useBox } from "./support.js";

const cc = ["/usr/bin/cc", "/usr/bin/gcc"].find((p) => existsSync(p));

const CALLS_C = String.raw`
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
static int mode_of(const char *p) { struct stat st; return stat(p, &st) == 0 ? (int)(st.st_mode & 0777) : -1; }
static const char *err(int rc) { return rc >= 0 ? "ok" : strerrorname_np(errno); }
static int dfd_a;
static void *own_files(void *x) {
  (void)x;
  /* This thread's own fd table: the same number names another directory here. */
  if (unshare(CLONE_FILES) != 0) { perror("unshare files"); return 0; }
  close(dfd_a);
  int b = open("b", O_PATH | O_DIRECTORY);
  int fd = openat(b, "via-thread-fd", O_CREAT | O_WRONLY, 0644);
  printf("thread-fd same-number=%s %s\n", b == dfd_a ? "yes" : "no", err(fd));
  return 0;
}
static void *own_fs(void *x) {
  (void)x;
  /* This thread's own cwd and umask. */
  if (unshare(CLONE_FS) != 0) { perror("unshare fs"); return 0; }
  if (chdir("b") != 0) return 0;
  umask(077);
  int fd = open("via-thread-cwd", O_CREAT | O_WRONLY, 0666);
  printf("thread-cwd %s\n", err(fd));
  return 0;
}
int main(void) {
  /* The caller's umask, whatever it was at the previous call. */
  static const int masks[] = {077, 022, 0, 027, 002};
  char p[64];
  for (int i = 0; i < 5; i++) {
    umask(masks[i]);
    snprintf(p, sizeof p, "f%d", i);
    int fd = open(p, O_CREAT | O_WRONLY, 0666);
    snprintf(p + 20, 40, "d%d", i);
    int rc = mkdir(p + 20, 0777);
    printf("umask %03o file %03o dir %03o %s %s\n", masks[i], mode_of(p), mode_of(p + 20), err(fd), err(rc));
  }
  umask(022);
  /* Directory fds of the caller. */
  mkdir("a", 0755); mkdir("b", 0755);
  dfd_a = open("a", O_PATH | O_DIRECTORY);
  printf("dirfd %s\n", err(openat(dfd_a, "via-fd", O_CREAT | O_WRONLY, 0644)));
  printf("dirfd-protected %s\n", err(openat(dfd_a, ".npmrc", O_CREAT | O_WRONLY, 0644)));
  printf("dirfd-mkdirat %s\n", err(mkdirat(dfd_a, "sub", 0755)));
  printf("bad-dirfd %s\n", err(openat(999, "x", O_CREAT | O_WRONLY, 0644)));
  printf("negative-dirfd %s\n", err(mkdirat(-5, "x", 0755)));
  int file = open("f1", O_RDONLY);
  printf("file-dirfd %s\n", err(openat(file, "x", O_CREAT | O_WRONLY, 0644)));
  pthread_t t;
  pthread_create(&t, 0, own_files, 0); pthread_join(t, 0);
  pthread_create(&t, 0, own_fs, 0); pthread_join(t, 0);
  /* Many short-lived processes, each its own umask: none answered with another's. */
  int wrong = 0;
  mkdir("procs", 0755);
  for (int i = 0; i < 300; i++) {
    pid_t pid = fork();
    if (pid == 0) {
      umask(i % 2 ? 077 : 002);
      snprintf(p, sizeof p, "procs/p%d", i);
      _exit(open(p, O_CREAT | O_WRONLY, 0666) >= 0 ? 0 : 1);
    }
    int st;
    waitpid(pid, &st, 0);
    snprintf(p, sizeof p, "procs/p%d", i);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || mode_of(p) != (i % 2 ? 0600 : 0664)) wrong++;
  }
  printf("processes 300 wrong %d\n", wrong);
  return 0;
}
`;

const mode = (p: string): string => (statSync(p).mode & 0o777).toString(8);

describe.skipIf(lacking(!supported, skipReason))("calls the supervisor performs for the command", () => {
  if (missingTestUser) unavailable("as srt-test: user srt-test does not exist (useradd -m srt-test)");
  if (cc === undefined) unavailable("the probe needs a C compiler (apt-get install gcc)");
  else
    describe.each(runners)("as %s", (runner) => {
      it.concurrent(
        "use the caller's umask, directory fds, and a thread's own cwd and fd table",
        async (ctx) => {
          const b = useBox(ctx, runner);
          const src = join(b.outside, "calls.c");
          writeFileSync(src, CALLS_C);
          const bin = join(b.outside, "calls");
          execFileSync(cc, ["-O2", "-pthread", "-o", bin, src]);
          const out = await sh(b, bin, { timeoutMs: 120_000 });
          expect(out.status, out.stderr).toBe(0);
          expect(out.stdout.trim().split("\n")).toEqual([
            "umask 077 file 600 dir 700 ok ok",
            "umask 022 file 644 dir 755 ok ok",
            "umask 000 file 666 dir 777 ok ok",
            "umask 027 file 640 dir 750 ok ok",
            "umask 002 file 664 dir 775 ok ok",
            "dirfd ok",
            "dirfd-protected EACCES",
            "dirfd-mkdirat ok",
            "bad-dirfd EBADF",
            "negative-dirfd EBADF",
            "file-dirfd ENOTDIR",
            "thread-fd same-number=yes ok",
            "thread-cwd ok",
            "processes 300 wrong 0",
          ]);
          // On the host: each name where the caller's own directory put it.
          expect(existsSync(join(b.work, "a/via-fd"))).toBe(true);
          expect(existsSync(join(b.work, "a/.npmrc"))).toBe(false);
          expect(existsSync(join(b.work, "b/via-thread-fd"))).toBe(true);
          expect(existsSync(join(b.work, "a/via-thread-fd"))).toBe(false);
          expect(mode(join(b.work, "b/via-thread-cwd"))).toBe("600");
          expect(existsSync(join(b.work, "via-thread-cwd"))).toBe(false);
        },
        180_000,
      );
    });
});
