/* srt-supervise: the sandbox's first program (bwrap execs it inside the namespaces, after the
 * mounts). It installs srt's seccomp filter on the command with a user-notification listener and
 * answers the notifications: every call that creates a name (open/openat/creat with O_CREAT,
 * openat2, mkdir*, mknod*, rename*, link*, symlink*, bind of a unix socket to a pathname) and
 * every open of an existing file for writing (O_WRONLY, O_RDWR, O_TRUNC; truncate), every removal
 * (unlink*, rmdir) and every chmod* setting an execute bit is decided here against
 * the protected names and paths of the plan, and when allowed, performed here (handle.c); so are
 * all openat2 calls (their flags sit behind a pointer) and all binds (so is the address). With
 * Landlock it also builds a second wall that allows writes only beneath the writable roots
 * (landlock.c).
 *
 *   srt-supervise CONFIG_FD REPORT_FD [--words K] -- COMMAND [ARG...]
 *   srt-supervise --connect SOCKET [--words K] -- COMMAND [ARG...]
 *   srt-supervise --probe              kernel features as one JSON line (srt doctor)
 *
 * --connect is for engines that cannot pass descriptors into a container (Docker, podman): the
 * supervisor, the container's first and only process, connects to a unix socket srt listens on
 * (bound into the container), reads its configuration from it until srt shuts down its side, and
 * reports on the same connection. srt accepts that one connection and closes its listener, so
 * nothing started later (the command) can connect in the supervisor's place.
 *
 * --words K: COMMAND is bash running srt's launcher script on the words from ARG number K on
 * (src/runtime/shell.ts); launch.c runs them without the shell when the shell would only have
 * looked them up and exec'd them.
 *
 * Threat model. The adversary is the command and everything it starts: same uid as this process,
 * no capabilities (bwrap dropped them), no_new_privs, in the same namespaces.
 *  - Who can reach the supervisor: the command can send it signals (same uid) and could read or
 *    write its memory through ptrace or /proc/<pid>/mem. It is made non-dumpable first
 *    (PR_SET_DUMPABLE 0), which keeps a same-uid process without CAP_SYS_PTRACE out of ptrace
 *    and /proc/<pid>/mem; with Landlock ABI >= 6 the command is also scoped so that it cannot
 *    signal it at all. The terminating signals a terminal or srt send the whole group are
 *    ignored here (the command gets them and its exit ends this process).
 *  - If the supervisor dies anyway (SIGKILL), the listener closes and every trapped call fails
 *    with ENOSYS: fail closed, nothing is created unchecked.
 *  - What it trusts: its configuration, read once from a pipe srt wrote (CONFIG_FD), before the
 *    command exists; the kernel. What it does not trust: every byte of the command's memory
 *    (read once into a local copy, bounded), the command's file system layout (symlinks, renames
 *    racing the check: a call is performed on the directory fd that was checked, never
 *    re-resolved from the command's strings), and the notification's pid (checked with
 *    SECCOMP_IOCTL_NOTIF_ID_VALID after reading, so a recycled pid is not acted for; the
 *    /proc/<tid> directories kept open from call to call are bound to the task they were opened
 *    for and fail once it is gone, so a kept one never reads a later task given the same tid).
 *  - Credentials: calls are performed with the supervisor's uid/gid, which are the command's
 *    (it cannot change them: no capabilities, no_new_privs) and with the caller's umask. Files
 *    are opened here with O_NOCTTY (this process leads bwrap's new session and has no terminal;
 *    one opened for the command must not become its). /dev/tty is the caller's terminal: it is
 *    reopened from one of the caller's own fds to it, pinned (O_PATH) and checked to be that
 *    terminal before it is reopened, so an fd swapped meanwhile is not reopened for writing.
 *  - REPORT_FD carries refusals back to srt; the command never holds it (closed before exec).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "supervise.h"

static int install_filter(const unsigned char *bpf, size_t len) {
  struct sock_fprog prog = {.len = (unsigned short)(len / sizeof(struct sock_filter)),
                            .filter = (struct sock_filter *)(void *)bpf};
  return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
}

static void status_record(int fd, const char *key, const char *value) {
  if (fd < 0) return;
  char buf[PATHBUF + 128];
  int n = snprintf(buf, sizeof buf, "%s%c%s%c%s%c%s%c", "status", 0, key, 0, "", 0, value, 0);
  if (n > 0 && (size_t)n < sizeof buf) {
    ssize_t w = write(fd, buf, (size_t)n);
    (void)w;
  }
}

static void fail_why(int report_fd, const char *what, const char *why) {
  char msg[PATHBUF + 64];
  snprintf(msg, sizeof msg, "%s: %s", what, why);
  status_record(report_fd, "failed", msg);
  fprintf(stderr, "srt-supervise: %s\n", msg);
  _exit(125);
}

static void fail(int report_fd, const char *what, int err) { fail_why(report_fd, what, strerror(err)); }

static int send_fd(int sock, int fd, int err) {
  char cbuf[CMSG_SPACE(sizeof(int))];
  memset(cbuf, 0, sizeof cbuf);
  struct iovec iov = {&err, sizeof err};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
  if (fd >= 0) {
    msg.msg_control = cbuf;
    msg.msg_controllen = sizeof cbuf;
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof fd);
  }
  return sendmsg(sock, &msg, 0) == sizeof err ? 0 : -1;
}

/* The listener from the child, or -errno of what failed there. */
static int recv_fd(int sock) {
  int err = 0;
  char cbuf[CMSG_SPACE(sizeof(int))];
  struct iovec iov = {&err, sizeof err};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
  ssize_t n;
  do n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n != sizeof err) return -EPIPE;
  if (err != 0) return -err;
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  if (c == NULL || c->cmsg_type != SCM_RIGHTS) return -EPROTO;
  int fd;
  memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return fd;
}

/* srt's socket (--connect): a stream connection, never inherited by the command. */
static int connect_srt(const char *path) {
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof a.sun_path) {
    errno = ENAMETOOLONG;
    return -1;
  }
  strcpy(a.sun_path, path);
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return -1;
  int r;
  do r = connect(s, (struct sockaddr *)&a, sizeof a);
  while (r < 0 && errno == EINTR);
  if (r < 0) {
    int err = errno;
    close(s);
    errno = err;
    return -1;
  }
  return s;
}

static const int ignored[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU, SIGUSR1, SIGUSR2};

static int probe(void) {
  int abi = landlock_abi();
  int p[2];
  if (pipe(p) != 0) return 1;
  pid_t pid = fork();
  if (pid == 0) {
    close(p[0]);
    struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    struct sock_fprog prog = {.len = 1, .filter = &allow};
    int listener = -1, addfd = 0, sync_wake = 0;
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0)
      listener = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
    if (listener >= 0) {
      /* No notification 0 exists: ENOENT means the kernel knows ADDFD and its SEND flag. */
      struct seccomp_notif_addfd add = {.id = 0, .flags = SECCOMP_ADDFD_FLAG_SEND, .srcfd = 0};
      addfd = ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add) < 0 && errno == ENOENT;
      sync_wake = set_sync_wake(listener) == 0;
    }
    char out[3] = {listener >= 0 ? '1' : '0', addfd ? '1' : '0', sync_wake ? '1' : '0'};
    ssize_t w = write(p[1], out, 3);
    _exit(w == 3 ? 0 : 1);
  }
  close(p[1]);
  char in[3] = {'0', '0', '0'};
  ssize_t r = read(p[0], in, 3);
  (void)r;
  waitpid(pid, NULL, 0);
  printf("{\"listener\":%s,\"addfd\":%s,\"syncWake\":%s,\"landlock\":%d}\n", in[0] == '1' ? "true" : "false",
         in[1] == '1' ? "true" : "false", in[2] == '1' ? "true" : "false", abi);
  return 0;
}

int main(int argc, char **argv) {
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  if (argc == 2 && strcmp(argv[1], "--probe") == 0) return probe();
  int at = 3, words = 0;
  if (argc > 5 && strcmp(argv[3], "--words") == 0) {
    words = atoi(argv[4]);
    at = 5;
  }
  if (argc < at + 2 || strcmp(argv[at], "--") != 0 || words < 0 || words >= argc - at - 1) {
    fprintf(stderr,
            "usage: srt-supervise CONFIG_FD REPORT_FD | --connect SOCKET [--words K] -- COMMAND [ARG...] | --probe\n");
    return 2;
  }
  char **command = argv + at + 1;
  int config_fd, report_fd;
  if (strcmp(argv[1], "--connect") == 0) {
    config_fd = report_fd = connect_srt(argv[2]);
    if (report_fd < 0) fail(-1, "connecting to srt", errno);
  } else {
    config_fd = atoi(argv[1]);
    report_fd = atoi(argv[2]);
  }
  static struct config cfg;
  if (read_config(config_fd, &cfg) != 0) fail(report_fd, "reading the configuration", errno ? errno : EINVAL);
  if (config_fd != report_fd) close(config_fd);
  fcntl(report_fd, F_SETFD, FD_CLOEXEC);
  fcntl(report_fd, F_SETFL, fcntl(report_fd, F_GETFL) | O_NONBLOCK);

  /* Before anything else of the command's: its writable mounts are where the plan put them (roots.c). */
  const char *why = "";
  const char *moved = root_not_in_place(&cfg, &why);
  if (moved != NULL) {
    char what[PATHBUF + 64];
    snprintf(what, sizeof what, "a writable root is not where the plan put it: %s", moved);
    status_record(report_fd, "moved", moved);
    fail_why(report_fd, what, why);
  }

  if (cfg.landlock) {
    int abi = landlock_abi();
    char v[16];
    snprintf(v, sizeof v, "%d", abi);
    if (abi >= 2) {
      int r = landlock_wall(&cfg);
      if (r != 0) fail(report_fd, "applying the Landlock wall", r);
    }
    status_record(report_fd, "landlock", abi >= 2 ? v : "0");
  }

  sigset_t chld, none;
  sigemptyset(&chld);
  sigemptyset(&none);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, NULL);
  for (size_t i = 0; i < sizeof ignored / sizeof ignored[0]; i++) signal(ignored[i], SIG_IGN);

  int sp[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) != 0) fail(report_fd, "socketpair", errno);
  pid_t parent = getpid();
  pid_t child = fork();
  if (child < 0) fail(report_fd, "fork", errno);
  if (child == 0) {
    close(sp[0]);
    close(report_fd);
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    if (getppid() != parent) _exit(125);
    for (size_t i = 0; i < sizeof ignored / sizeof ignored[0]; i++) signal(ignored[i], SIG_DFL);
    sigprocmask(SIG_SETMASK, &none, NULL);
    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0); /* the command is an ordinary process again (core dumps, /proc) */
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
      send_fd(sp[1], -1, errno);
      _exit(125);
    }
    if (cfg.landlock) {
      int r = landlock_scope();
      if (r != 0 && r != ENOSYS) {
        send_fd(sp[1], -1, r);
        _exit(125);
      }
    }
    int listener = install_filter(cfg.bpf, cfg.bpf_len);
    if (listener < 0) {
      send_fd(sp[1], -1, errno);
      _exit(125);
    }
    if (send_fd(sp[1], listener, 0) != 0) _exit(125);
    close(listener);
    close(sp[1]);
    if (words > 0) launch_words(command + words);
    execvp(command[0], command);
    int err = errno;
    fprintf(stderr, "srt: %s: %s\n", command[0], strerror(err));
    _exit(err == ENOENT ? 127 : 126);
  }
  close(sp[1]);
  int listener = recv_fd(sp[0]);
  close(sp[0]);
  if (listener < 0) {
    kill(child, SIGKILL);
    fail(report_fd, "installing the seccomp filter with a listener", -listener);
  }
  status_record(report_fd, "ready", "");
  handle_notifications(listener, &cfg, report_fd, child);
  return 1;
}
