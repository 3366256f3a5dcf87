/*
 * Escape-attempt probe for the seccomp tests: `probe MODE` makes one syscall
 * (raw, through syscall(2), so libc cannot mask the arguments) and prints
 * "ok" or "errno=NAME". Modes that the filter must kill print "survived ..."
 * only if they were not killed. Compiled by test/seccomp/kernel.test.ts.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif
#ifndef SYS_io_uring_setup
#define SYS_io_uring_setup 425
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif

extern char **environ;

#define HIGH 0xffffffff00000000UL

static int report(long rc) {
  if (rc < 0) printf("errno=%s\n", strerrorname_np(errno));
  else printf("ok\n");
  return 0;
}

/* A raw fork-like clone: the child exits at once, the parent reaps it. */
static long raw_clone(unsigned long flags) {
  long pid = syscall(SYS_clone, flags, 0UL, 0UL, 0UL, 0UL);
  if (pid == 0) _exit(0);
  if (pid > 0) waitpid((pid_t)pid, NULL, 0);
  return pid;
}

static void *thread_main(void *arg) { return arg; }

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  const char *m = argv[1];
  int sv[2];
  char c = 'x';

  if (!strcmp(m, "getpid")) return report(syscall(SYS_getpid));
  if (!strcmp(m, "socket-inet")) return report(syscall(SYS_socket, AF_INET, SOCK_STREAM, 0));
  if (!strcmp(m, "socket-unix")) return report(syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0));
  /* The kernel reads `int family`: the high word is ignored, this is AF_UNIX. */
  if (!strcmp(m, "socket-unix-high")) return report(syscall(SYS_socket, HIGH | AF_UNIX, SOCK_STREAM, 0));
  if (!strcmp(m, "socket-vsock")) return report(syscall(SYS_socket, AF_VSOCK, SOCK_STREAM, 0));
  if (!strcmp(m, "socketpair-stream"))
    return report(syscall(SYS_socketpair, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
  if (!strcmp(m, "socketpair-dgram"))
    return report(syscall(SYS_socketpair, AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv));
  /* af_unix silently turns SOCK_RAW into SOCK_DGRAM. */
  if (!strcmp(m, "socketpair-raw")) return report(syscall(SYS_socketpair, AF_UNIX, SOCK_RAW, 0, sv));
  if (!strcmp(m, "socketpair-seqpacket")) return report(syscall(SYS_socketpair, AF_UNIX, SOCK_SEQPACKET, 0, sv));
  if (!strcmp(m, "socketpair-dgram-high"))
    return report(syscall(SYS_socketpair, HIGH | AF_UNIX, HIGH | SOCK_DGRAM, 0, sv));
  if (!strcmp(m, "io_uring_setup")) {
    unsigned char params[120];
    memset(params, 0, sizeof params);
    return report(syscall(SYS_io_uring_setup, 4, params));
  }
  if (!strcmp(m, "unshare-user")) return report(syscall(SYS_unshare, CLONE_NEWUSER));
  if (!strcmp(m, "clone-user")) return report(raw_clone(CLONE_NEWUSER | SIGCHLD));
  /* clone truncates its flags to 32 bits: the high word must not hide CLONE_NEWUSER. */
  if (!strcmp(m, "clone-user-high")) return report(raw_clone(HIGH | CLONE_NEWUSER | CLONE_NEWNS | SIGCHLD));
  if (!strcmp(m, "clone-plain")) return report(raw_clone(SIGCHLD));
  /* A NULL clone_args of size 0 is EINVAL to the kernel; the filter must answer first. */
  if (!strcmp(m, "clone3")) return report(syscall(SYS_clone3, NULL, 0UL));
  /* fd -1: unfiltered the kernel says EBADF, so EPERM can only come from the filter. */
  if (!strcmp(m, "tiocsti")) return report(syscall(SYS_ioctl, -1, TIOCSTI, &c));
  if (!strcmp(m, "tiocsti-high")) return report(syscall(SYS_ioctl, -1, HIGH | TIOCSTI, &c));
  if (!strcmp(m, "tioclinux")) return report(syscall(SYS_ioctl, -1, TIOCLINUX, &c));
  if (!strcmp(m, "fionread")) return report(syscall(SYS_ioctl, -1, FIONREAD, &c));
  if (!strcmp(m, "setns")) return report(syscall(SYS_setns, -1, 0));
  /* MS_NOUSER is EINVAL before the kernel's privilege check: EPERM only from the filter. */
  if (!strcmp(m, "mount")) return report(syscall(SYS_mount, "none", "/", NULL, (unsigned long)MS_NOUSER, NULL));
  if (!strcmp(m, "umount2")) return report(syscall(SYS_umount2, "/nonexistent-srt-probe", 0));
  if (!strcmp(m, "keyctl")) return report(syscall(SYS_keyctl, 0xffff, 0, 0, 0, 0));
  if (!strcmp(m, "bpf")) return report(syscall(SYS_bpf, 0xffff, NULL, 0));
  if (!strcmp(m, "userfaultfd")) return report(syscall(SYS_userfaultfd, O_CLOEXEC | 1 /* UFFD_USER_MODE_ONLY */));
  if (!strcmp(m, "perf_event_open")) return report(syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0));
  if (!strcmp(m, "init_module")) return report(syscall(SYS_init_module, NULL, 0, ""));
  if (!strcmp(m, "spawn")) {
    /* glibc's posix_spawn tries clone3 first and falls back to clone on ENOSYS. */
    pid_t pid;
    char *args[] = {"true", NULL};
    int rc = posix_spawn(&pid, "/bin/true", NULL, NULL, args, environ);
    if (rc != 0) { errno = rc; return report(-1); }
    int status = 0;
    waitpid(pid, &status, 0);
    return report(WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1);
  }
  if (!strcmp(m, "thread")) {
    pthread_t t;
    int rc = pthread_create(&t, NULL, thread_main, NULL);
    if (rc != 0) { errno = rc; return report(-1); }
    pthread_join(t, NULL);
    return report(0);
  }
#ifdef __x86_64__
  if (!strcmp(m, "x32")) {
    /* x32 ABI: the native number with bit 30 set. */
    long rc = syscall(__NR_getpid | 0x40000000);
    printf("survived rc=%ld errno=%s\n", rc, rc < 0 ? strerrorname_np(errno) : "-");
    return 0;
  }
  if (!strcmp(m, "int80")) {
    /* i386 getpid (20) through the 32-bit entry point from a 64-bit process. */
    long rc;
    __asm__ volatile("int $0x80" : "=a"(rc) : "a"(20L) : "memory", "rcx", "r11");
    printf("survived rc=%ld\n", rc);
    return 0;
  }
#endif
  fprintf(stderr, "unknown mode %s\n", m);
  return 2;
}
