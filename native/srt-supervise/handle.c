/* Answers the seccomp notifications of the command (see main.c for the threat model).
 *
 * Every trapped call that may proceed is performed here, by the supervisor, on its own copy of the
 * arguments: the path is read once from the command's memory, its parent directory is opened
 * (relative to the calling thread's cwd or dirfd: /proc/<tid>/cwd, /proc/<tid>/fd/N), the opened
 * directory's real path plus the new name is checked, and the call is made on that directory fd
 * with the caller's umask. A thread rewriting the path after it was read changes nothing; a
 * directory renamed after it was opened is still the one checked. A final symlink of an
 * O_CREAT open is followed here, one link at a time, each target checked again. The result goes
 * back as the syscall's return value, or as an fd installed in the caller
 * (SECCOMP_IOCTL_NOTIF_ADDFD with SECCOMP_ADDFD_FLAG_SEND). Nothing is ever answered "continue".
 * Opens are made here with O_NONBLOCK (then cleared on the open file) unless the caller asked for
 * it: a FIFO whose other end is not open yet is pinned after the checks and the wait left to a
 * worker process that reopens the pinned inode and answers (defer_fifo), so one such open holds
 * neither this loop nor any other call of the sandbox.
 *
 * Opens of existing files for writing take the same path as creating ones (the name checked, so an
 * always-protected file srt's search did not reach is not opened for writing); their errors are
 * reported when the policy caused them (EROFS; EACCES/EPERM outside every writable root). */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <stddef.h>
#include <unistd.h>

#include "supervise.h"

#ifndef __NR_fchmodat2
#define __NR_fchmodat2 452
#endif
#define __NR_fchmodat2_ __NR_fchmodat2
/* chmod, unlink and rmdir exist only where the arch has the old calls (x86_64; not aarch64). */
#ifdef __NR_chmod
#define __NR_chmod_ __NR_chmod
#else
#define __NR_chmod_ (-1)
#endif
#ifdef __NR_unlink
#define __NR_unlink_ __NR_unlink
#define __NR_rmdir_ __NR_rmdir
#else
#define __NR_unlink_ (-1)
#define __NR_rmdir_ (-1)
#endif

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

struct call {
  const struct seccomp_notif *req;
  int listener;
  const struct config *cfg;
  int report_fd;
  int pidfd; /* of the caller's thread group, -1 until needed */
  int deferred; /* answered by a worker (a FIFO open waiting for its other end) */
};

static int report_fd_global = -1;

/* One record per refused or failed write: op, errno name, rule ("" when no rule of srt's refused
 * it: the mounts did), path; fields NUL-terminated. Never blocks: a reader that stopped reading
 * loses records, the command is not stalled. */
static void report(const char *op, int err, const char *rule, const char *path) {
  if (report_fd_global < 0) return;
  char buf[PATHBUF + 256];
  const char *name = err == EROFS ? "EROFS" : err == EACCES ? "EACCES" : err == EPERM ? "EPERM" : "EBUSY";
  int n = snprintf(buf, sizeof buf, "%s%c%s%c%s%c%s%c", op, 0, name, 0, rule, 0, path, 0);
  if (n > 0 && (size_t)n < sizeof buf) {
    ssize_t w = write(report_fd_global, buf, (size_t)n);
    (void)w;
  }
}

static int reportable(int err) { return err == EROFS || err == EACCES || err == EPERM || err == EBUSY; }

/* Reads a NUL-terminated string from the caller, page by page (a string may end just before an
 * unmapped page). */
static int read_string(pid_t tid, uint64_t addr, char *out, size_t cap) {
  size_t got = 0;
  while (got < cap) {
    uint64_t a = addr + got;
    size_t chunk = 4096 - (size_t)(a % 4096);
    if (chunk > cap - got) chunk = cap - got;
    struct iovec local = {out + got, chunk};
    struct iovec remote = {(void *)(uintptr_t)a, chunk};
    ssize_t r = process_vm_readv(tid, &local, 1, &remote, 1, 0);
    if (r <= 0) return got == 0 && r < 0 && errno == ESRCH ? -ESRCH : -EFAULT;
    void *z = memchr(out + got, 0, (size_t)r);
    if (z != NULL) return 0;
    got += (size_t)r;
  }
  return -ENAMETOOLONG;
}

static int read_bytes(pid_t tid, uint64_t addr, void *out, size_t len) {
  struct iovec local = {out, len};
  struct iovec remote = {(void *)(uintptr_t)addr, len};
  ssize_t r = process_vm_readv(tid, &local, 1, &remote, 1, 0);
  return r == (ssize_t)len ? 0 : -EFAULT;
}

/* The callers' /proc/<tid> directories, kept open from one call to the next (the path lookups
 * in /proc and the open cost more than the read). A /proc/<tid> fd is bound to the task it was
 * opened for (its struct pid), never to a later task given the same number: once that task is
 * gone every read or lookup through it fails (ESRCH, ENOENT) and the entry is opened afresh. So a
 * read through a kept fd that succeeds read the task that has this tid now, which is the caller
 * as long as the notification is still pending (SECCOMP_IOCTL_NOTIF_ID_VALID, after the reads). */
#define PROC_SLOTS 64
static unsigned proc_nslots = 1; /* at most PROC_SLOTS, fewer under a low RLIMIT_NOFILE */
struct proc_slot {
  pid_t tid;
  int dir;    /* /proc/<tid>, O_PATH */
  int status; /* /proc/<tid>/status, read with pread at offset 0 (the kernel writes it anew) */
};
static struct proc_slot proc_slots[PROC_SLOTS];

static void proc_close(struct proc_slot *s) {
  if (s->status >= 0) close(s->status);
  if (s->dir >= 0) close(s->dir);
  s->tid = 0, s->dir = -1, s->status = -1;
}

/* The slot of `tid`, opened afresh when `fresh` or when it held another tid; NULL if there is no
 * such task. */
static struct proc_slot *proc_of(pid_t tid, int fresh) {
  struct proc_slot *s = &proc_slots[(unsigned)tid % proc_nslots];
  if (s->tid == tid && !fresh) return s;
  if (s->tid != 0) proc_close(s);
  s->status = -1;
  char path[64];
  snprintf(path, sizeof path, "/proc/%d", tid);
  s->dir = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (s->dir < 0) return NULL;
  s->status = openat(s->dir, "status", O_RDONLY | O_CLOEXEC);
  if (s->status < 0) {
    proc_close(s);
    return NULL;
  }
  s->tid = tid;
  return s;
}

/* The caller's umask and thread-group id, from /proc/<tid>/status, read anew on every call (a
 * umask changes at any time). */
static int caller_status(pid_t tid, mode_t *umask_out, pid_t *tgid) {
  char buf[4096];
  ssize_t n = -1;
  for (int fresh = 0; fresh < 2 && n <= 0; fresh++) {
    struct proc_slot *s = proc_of(tid, fresh);
    if (s == NULL) return -ESRCH;
    n = pread(s->status, buf, sizeof buf - 1, 0);
  }
  if (n <= 0) return -ESRCH;
  buf[n] = 0;
  char *u = strstr(buf, "\nUmask:");
  char *t = strstr(buf, "\nTgid:");
  if (u == NULL || t == NULL) return -ESRCH;
  *umask_out = (mode_t)strtoul(u + 7, NULL, 8) & 0777;
  *tgid = (pid_t)strtol(t + 6, NULL, 10);
  return 0;
}

/* The umask calls are performed with: the caller's, set only when it differs from the last one
 * (this process creates nothing of its own while it answers). */
static void set_umask(mode_t m) {
  static mode_t current = (mode_t)-1;
  if (m != current) umask(m);
  current = m;
}

static int still_valid(const struct call *c) {
  uint64_t id = c->req->id;
  return ioctl(c->listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

/* The caller's directory for a *at call: its cwd for AT_FDCWD, else its fd `dirfd` (a new fd here),
 * opened through the caller thread's /proc/<tid> (the slot caller_status read this call): the
 * thread's own cwd and fd table, as the kernel would use them. */
static int caller_dir(struct call *c, int dirfd) {
  struct proc_slot *s = proc_of((pid_t)c->req->pid, 0);
  if (s == NULL) return -ESRCH;
  char rel[32];
  if (dirfd == AT_FDCWD) strcpy(rel, "cwd");
  else if (dirfd < 0) return -EBADF;
  else snprintf(rel, sizeof rel, "fd/%d", dirfd);
  int fd = openat(s->dir, rel, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT && dirfd != AT_FDCWD) return -EBADF; /* no such fd */
  return fd < 0 ? -errno : fd;
}

/* A path naming the caller's own /proc entries would name ours here: make it name the caller's. */
static int own_proc(const char *in, pid_t tid, char *out, size_t cap) {
  static const char *const prefixes[] = {"/proc/self/", "/proc/thread-self/", "/dev/fd/", "/dev/stdin", "/dev/stdout",
                                         "/dev/stderr"};
  static const char *const repl[] = {"", "", "fd/", "fd/0", "fd/1", "fd/2"};
  for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
    size_t n = strlen(prefixes[i]);
    if (strncmp(in, prefixes[i], n) == 0 && (prefixes[i][n - 1] == '/' || in[n] == 0 || in[n] == '/')) {
      int w = snprintf(out, cap, "/proc/%d/%s%s", tid, repl[i], in + n);
      return w > 0 && (size_t)w < cap ? 0 : -ENAMETOOLONG;
    }
  }
  if (strlen(in) >= cap) return -ENAMETOOLONG;
  strcpy(out, in);
  return 0;
}

/* Where a new name goes: its parent directory (opened here) and the name, plus the absolute path
 * checked. `base` is the directory a relative path starts from (not consumed). */
struct target {
  int dir;
  char name[PATHBUF];
  char full[PATHBUF];
  int trailing_slash;
};

static int locate(pid_t tid, int base, const char *raw, struct target *t) {
  char path[PATHBUF];
  t->dir = -1;
  if (raw[0] == 0) return -ENOENT;
  int r = own_proc(raw, tid, path, sizeof path);
  if (r != 0) return r;
  size_t len = strlen(path);
  t->trailing_slash = 0;
  while (len > 1 && path[len - 1] == '/') {
    path[--len] = 0;
    t->trailing_slash = 1;
  }
  char *slash = strrchr(path, '/');
  const char *parent;
  if (slash == NULL) {
    parent = ".";
    strcpy(t->name, path);
  } else {
    strcpy(t->name, slash + 1);
    if (slash == path) parent = "/";
    else {
      *slash = 0;
      parent = path;
    }
  }
  if (t->name[0] == 0) strcpy(t->name, "."); /* the path was "/" */
  t->dir = openat(path[0] == '/' ? AT_FDCWD : base, parent, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (t->dir < 0) return -errno;
  /* The real path of the directory opened: its /proc/self/fd link (that directory kept open). */
  static int self_fd = -1;
  if (self_fd < 0) self_fd = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
  char link[32], dir[PATHBUF];
  snprintf(link, sizeof link, "%d", t->dir);
  ssize_t n = self_fd < 0 ? -1 : readlinkat(self_fd, link, dir, sizeof dir - 1);
  if (n <= 0) return -EACCES;
  dir[n] = 0;
  int w = snprintf(t->full, sizeof t->full, "%s/%s", strcmp(dir, "/") == 0 ? "" : dir, t->name);
  return w > 0 && (size_t)w < sizeof t->full ? 0 : -ENAMETOOLONG;
}

static void drop(struct target *t) {
  if (t->dir >= 0) close(t->dir);
  t->dir = -1;
}

static const char *check(const struct config *cfg, const struct target *t) {
  if (strcmp(t->name, ".") == 0 || strcmp(t->name, "..") == 0) return NULL; /* nothing new is named */
  return refused_by(cfg, t->full);
}

/* A refusal of srt's own: reported with its rule, EACCES to the caller. */
static int refuse(const char *op, const char *rule, const char *path) {
  report(op, EACCES, rule, path);
  return -EACCES;
}

/* Whether an open's error is the policy's: every error that may be for a creating open (as
 * before); for an open of an existing file only a read-only mount's (EROFS) or, outside every
 * writable root, Landlock's; a file's own mode (EACCES below a root) is not the policy's. */
static int policy_refused(const struct config *cfg, int flags, int err, const char *path) {
  if (!reportable(err)) return 0;
  if ((flags & O_CREAT) || err == EROFS) return 1;
  return (err == EACCES || err == EPERM) && !below_root(cfg, path);
}

/* As done(), for a call on an existing file (chmod, unlink): its errors are reported only when
 * the policy caused them (policy_refused), not a file's own owner or mode. */
static int done_existing(const struct config *cfg, const char *op, int rc, const char *path) {
  int err = errno;
  if (rc < 0 && policy_refused(cfg, 0, err, path)) report(op, err, "", path);
  return rc < 0 ? -err : rc;
}

static int done(const char *op, int rc, const char *path) {
  if (rc < 0 && reportable(errno)) report(op, errno, "", path);
  return rc < 0 ? -errno : rc;
}

static volatile sig_atomic_t fifo_tick;
static void on_tick(int sig) {
  (void)sig;
  fifo_tick = 1;
}

/* An open of a FIFO that blocks until its other end opens (no O_NONBLOCK asked, not O_RDWR) is
 * left to a worker process, so the wait holds neither this loop nor any other trapped call. The
 * FIFO was pinned here after the checks (`pin`, O_PATH or an fd of it) and the worker reopens that
 * inode through /proc/self/fd, never a name, then answers the notification itself (ADDFD with
 * SEND on the shared listener, or the error). It gives up when the caller no longer waits (killed,
 * or its call interrupted): a timer wakes it every 200 ms to ask the kernel. Takes `pin`. */
static int defer_fifo(struct call *c, int pin, int flags) {
  pid_t w = fork();
  if (w < 0) {
    int err = errno;
    close(pin);
    return -err;
  }
  if (w > 0) {
    close(pin);
    c->deferred = 1;
    return 0;
  }
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  struct sigaction sa = {.sa_handler = on_tick}; /* no SA_RESTART: the open returns EINTR */
  sigaction(SIGALRM, &sa, NULL);
  struct itimerval tv = {{0, 200000}, {0, 200000}};
  setitimer(ITIMER_REAL, &tv, NULL);
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", pin);
  int fd;
  for (;;) {
    /* The pin is resolved already: O_NOFOLLOW would refuse its /proc/self/fd link (ELOOP). */
    fd = open(path, (flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_NOFOLLOW)) | O_NOCTTY | O_CLOEXEC);
    if (fd >= 0 || errno != EINTR) break;
    if (!still_valid(c)) _exit(0);
  }
  struct itimerval off = {{0, 0}, {0, 0}};
  setitimer(ITIMER_REAL, &off, NULL);
  if (fd >= 0) {
    struct seccomp_notif_addfd add = {.id = c->req->id, .flags = SECCOMP_ADDFD_FLAG_SEND, .srcfd = (uint32_t)fd,
                                      .newfd = 0, .newfd_flags = (flags & O_CLOEXEC) ? O_CLOEXEC : 0};
    if (ioctl(c->listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add) >= 0 || errno == ENOENT) _exit(0);
  }
  struct seccomp_notif_resp resp = {.id = c->req->id, .val = 0, .error = -errno, .flags = 0};
  ioctl(c->listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
  _exit(0);
}

/* An open performed here is made with O_NONBLOCK added when the caller did not ask for it (`added`),
 * so a FIFO never holds this process: `fd` (or -1 and `err`) is its result. A FIFO that would have
 * waited goes to a worker (defer_fifo; *deferred set, 0 returned); anything else gets its flags back
 * (O_NONBLOCK cleared on the open file) and is returned as it is. */
static int settle(struct call *c, int fd, int err, int dir, const char *name, int flags, int added) {
  if (!added) return fd >= 0 ? fd : -err;
  struct stat st;
  if (fd >= 0) {
    /* A FIFO opened for reading: the caller would wait for a writer. (One opened for writing
     * without O_NONBLOCK succeeded because a reader is there: nothing to wait for.) Pinned by
     * O_PATH, so the pin is not a reader or writer of its own. */
    if ((flags & O_ACCMODE) == O_RDONLY && fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode)) {
      char via[64];
      snprintf(via, sizeof via, "/proc/self/fd/%d", fd);
      int pin = open(via, O_PATH | O_CLOEXEC);
      int err2 = errno;
      close(fd);
      if (pin < 0) return -err2;
      int r = defer_fifo(c, pin, flags);
      return r == 0 ? -EINPROGRESS : r;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0) fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    return fd;
  }
  /* A FIFO opened for writing without a reader: ENXIO under O_NONBLOCK. */
  if (err == ENXIO && (flags & O_ACCMODE) == O_WRONLY) {
    int pin = openat(dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    /* A link here is a magic one (the caller's /proc/<tid>/fd/N: do_open opens every other name
     * with O_NOFOLLOW, so only those reach ENXIO): the kernel follows it, and so does the pin. */
    if (pin >= 0 && fstat(pin, &st) == 0 && S_ISLNK(st.st_mode)) {
      close(pin);
      pin = openat(dir, name, O_PATH | O_CLOEXEC);
    }
    if (pin >= 0 && fstat(pin, &st) == 0 && S_ISFIFO(st.st_mode)) {
      int r = defer_fifo(c, pin, flags);
      return r == 0 ? -EINPROGRESS : r;
    }
    if (pin >= 0) close(pin);
  }
  return -err;
}

/* O_NONBLOCK to add to an open made here (see settle). */
static int nonblock_for(int flags) {
  return (flags & (O_NONBLOCK | O_PATH)) || (flags & O_ACCMODE) == O_RDWR ? 0 : O_NONBLOCK;
}

/* open/openat/creat with O_CREAT, or opening for writing (O_WRONLY, O_RDWR, O_TRUNC): a new fd
 * for the caller, or -errno. */
static int do_open(struct call *c, int base, const char *raw, int flags, mode_t mode, int *fd_out) {
  pid_t tid = (pid_t)c->req->pid;
  const char *op = (flags & O_CREAT) ? "create" : "write";
  char path[PATHBUF];
  strcpy(path, raw);
  int owned_base = -1;
  for (int hops = 0; hops < 40; hops++) {
    struct target t;
    int r = locate(tid, base, path, &t);
    if (r != 0) {
      drop(&t);
      if (owned_base >= 0) close(owned_base);
      return r;
    }
    const char *rule = check(c->cfg, &t);
    if (rule != NULL) {
      drop(&t);
      if (owned_base >= 0) close(owned_base);
      return refuse(op, rule, t.full);
    }
    if (t.trailing_slash && (flags & O_CREAT)) {
      /* "name/" with O_CREAT: the kernel refuses it (EISDIR) whether or not it exists. */
      drop(&t);
      if (owned_base >= 0) close(owned_base);
      return -EISDIR;
    }
    if (t.trailing_slash) flags |= O_DIRECTORY; /* "name/": a directory (EISDIR for writing) or ENOTDIR */
    /* Follow a final symlink ourselves (O_NOFOLLOW here), so its target is checked too. In /proc
     * (the caller's fd links, after own_proc) no name can be created, and a link there is a
     * magic one (a pipe, a deleted file): the kernel follows it. */
    int in_proc = strncmp(t.full, "/proc/", 6) == 0;
    /* O_NOCTTY: a terminal opened here must not become this session leader's terminal. */
    int nb = nonblock_for(flags);
    int fd = openat(t.dir, t.name, flags | nb | (in_proc ? 0 : O_NOFOLLOW) | O_CLOEXEC | O_NOCTTY, mode);
    int err = errno;
    if (fd >= 0 || err == ENXIO) {
      fd = settle(c, fd, err, t.dir, t.name, flags, nb);
      err = -fd;
    }
    if (fd >= 0 || c->deferred) {
      drop(&t);
      if (owned_base >= 0) close(owned_base);
      if (fd >= 0) *fd_out = fd;
      return 0;
    }
    struct stat st;
    if (err == ELOOP && !(flags & O_NOFOLLOW) && (flags & (O_CREAT | O_EXCL)) != (O_CREAT | O_EXCL) && fstatat(t.dir, t.name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        S_ISLNK(st.st_mode)) {
      char target[PATHBUF];
      ssize_t n = readlinkat(t.dir, t.name, target, sizeof target - 1);
      if (n <= 0) {
        drop(&t);
        if (owned_base >= 0) close(owned_base);
        return -ELOOP;
      }
      target[n] = 0;
      strcpy(path, target);
      if (owned_base >= 0) close(owned_base);
      owned_base = t.dir; /* a relative target is relative to the link's directory */
      base = owned_base;
      continue;
    }
    if (policy_refused(c->cfg, flags, err, t.full)) report(op, err, "", t.full);
    drop(&t);
    if (owned_base >= 0) close(owned_base);
    return -err;
  }
  if (owned_base >= 0) close(owned_base);
  return -ELOOP;
}

static long arg(const struct seccomp_notif *req, int i) { return (long)req->data.args[i]; }

/* Resolves (dirfd, path-pointer) argument pairs: `dirfd` < -1000 means "no dirfd argument" (AT_FDCWD). */
static int fetch(struct call *c, int dirfd, uint64_t ptr, char *path, int *base) {
  int r = read_string((pid_t)c->req->pid, ptr, path, PATHBUF);
  if (r != 0) return r;
  *base = -1;
  if (path[0] != '/') {
    *base = caller_dir(c, dirfd);
    if (*base < 0) return *base;
  }
  return 0;
}

/* A copy of the caller's socket sockfd (pidfd_getfd: the same open socket, so connect/bind act
 * on it), taken only while the notification is still valid, and the caller's umask; -errno when
 * it cannot be. */
static int caller_socket(struct call *c, int sockfd, mode_t *um) {
  pid_t tgid;
  if (caller_status((pid_t)c->req->pid, um, &tgid) != 0) return -ESRCH;
  c->pidfd = (int)syscall(SYS_pidfd_open, tgid, 0);
  if (c->pidfd < 0) return -ESRCH;
  if (!still_valid(c)) return -ESRCH;
  int sock = (int)syscall(SYS_pidfd_getfd, c->pidfd, sockfd, 0);
  return sock < 0 ? -EBADF : sock;
}

/* connect(): only traps when unix sockets are path-scoped (the filter cannot read the address).
 * Performed here on the caller's socket (pidfd_getfd: the same open socket) with the address
 * copied once. A pathname unix address is resolved here (its directory opened, the real path
 * compared with the list) and connected through an O_PATH, O_NOFOLLOW fd of the socket file, so
 * neither a rewritten address nor a link swapped in afterwards reaches another socket. Other
 * families go through unchanged: the sandbox's network namespace holds only its own loopback, so
 * such a connect returns at once. Abstract unix addresses stay in the network namespace (and are
 * scoped by Landlock where the kernel has ABI 6). */
static long do_connect(struct call *c) {
  const struct seccomp_notif *req = c->req;
  int sockfd = (int)arg(req, 0);
  size_t len = (size_t)req->data.args[2];
  struct sockaddr_storage ss;
  if (len > sizeof ss) len = sizeof ss;
  memset(&ss, 0, sizeof ss);
  if (len > 0 && read_bytes((pid_t)req->pid, req->data.args[1], &ss, len) != 0) return -EFAULT;
  mode_t um;
  int sock = caller_socket(c, sockfd, &um);
  if (sock < 0) return sock;
  long rc;
  struct sockaddr_un *un = (struct sockaddr_un *)&ss;
  size_t pathmax = len > offsetof(struct sockaddr_un, sun_path) ? len - offsetof(struct sockaddr_un, sun_path) : 0;
  if (ss.ss_family != AF_UNIX || pathmax == 0 || un->sun_path[0] == 0) {
    rc = connect(sock, (struct sockaddr *)&ss, (socklen_t)len) == 0 ? 0 : -errno;
  } else {
    char path[sizeof un->sun_path + 1];
    memcpy(path, un->sun_path, pathmax < sizeof un->sun_path ? pathmax : sizeof un->sun_path);
    path[pathmax < sizeof un->sun_path ? pathmax : sizeof un->sun_path] = 0;
    int base = -1;
    if (path[0] != '/') base = caller_dir(c, AT_FDCWD);
    struct target t = {.dir = -1};
    rc = path[0] != '/' && base < 0 ? base : locate((pid_t)req->pid, base, path, &t);
    if (rc == 0 && socket_listed(c->cfg, t.full) == NULL) {
      report("connect", EACCES, "", t.full);
      rc = -EACCES;
    } else if (rc == 0) {
      int fd = openat(t.dir, t.name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
      struct stat st;
      if (fd < 0) rc = -errno;
      else if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) rc = -ECONNREFUSED;
      else {
        struct sockaddr_un via = {.sun_family = AF_UNIX};
        snprintf(via.sun_path, sizeof via.sun_path, "/proc/self/fd/%d", fd);
        rc = connect(sock, (struct sockaddr *)&via, sizeof via) == 0 ? 0 : -errno;
      }
      if (fd >= 0) close(fd);
    }
    drop(&t);
    if (base >= 0) close(base);
  }
  close(sock);
  return rc;
}

/* open("/dev/tty") (trapped: for writing or O_CREAT): /dev/tty is the opener's controlling terminal, and opened here
 * it would be this process's (it has none: bwrap's new session). The caller's terminal (tty_nr
 * in /proc/<tid>/stat) is reopened through one of the caller's own fds to it, as the kernel
 * would give it; no such fd, or no terminal: ENXIO, the kernel's answer without one. */
static int open_ctty(struct call *c, int flags, int *fd_out) {
  pid_t tid = (pid_t)c->req->pid;
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", tid);
  int sf = open(path, O_RDONLY | O_CLOEXEC);
  if (sf < 0) return -ESRCH;
  ssize_t n = read(sf, buf, sizeof buf - 1);
  close(sf);
  if (n <= 0) return -ESRCH;
  buf[n] = 0;
  char *p = strrchr(buf, ')'); /* the command name may hold anything but ends at the last ')' */
  unsigned long tty = 0;
  if (p == NULL || sscanf(p + 1, " %*c %*d %*d %*d %lu", &tty) != 1) return -ESRCH;
  if (tty == 0) return -ENXIO;
  for (int fd = 0; fd < 1024; fd++) {
    /* Pinned first (O_PATH) and checked on the pinned file: the caller may dup2 another file
     * onto that fd meanwhile, and must not get it reopened for writing. */
    snprintf(path, sizeof path, "/proc/%d/fd/%d", tid, fd);
    int pin = open(path, O_PATH | O_CLOEXEC);
    if (pin < 0) continue;
    struct stat st;
    if (fstat(pin, &st) != 0 || !S_ISCHR(st.st_mode) || st.st_rdev != (dev_t)tty) {
      close(pin);
      continue;
    }
    snprintf(path, sizeof path, "/proc/self/fd/%d", pin);
    int r = open(path, (flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_PATH)) | O_NOCTTY | O_CLOEXEC);
    int err = errno;
    close(pin);
    if (r < 0) return -err;
    *fd_out = r;
    return 0;
  }
  return -ENXIO;
}

static int names_dev_tty(const char *path) { return strcmp(path, "/dev/tty") == 0; }

#ifndef __NR_openat2
#define __NR_openat2 437
#endif
#define RESOLVE_NO_XDEV 0x01
#define RESOLVE_NO_MAGICLINKS 0x02
#define RESOLVE_NO_SYMLINKS 0x04
#define RESOLVE_BENEATH 0x08
#define RESOLVE_IN_ROOT 0x10
#define RESOLVE_CACHED 0x20
#ifndef __O_TMPFILE
#define __O_TMPFILE (O_TMPFILE & ~O_DIRECTORY)
#endif
/* The kernel's O_LARGEFILE (64-bit libcs define theirs as 0; a caller may still pass the bit). */
#if defined(__aarch64__)
#define KERNEL_O_LARGEFILE 0400000
#else
#define KERNEL_O_LARGEFILE 0100000
#endif
/* The kernel's VALID_OPEN_FLAGS (include/linux/fcntl.h). */
#define OPEN_FLAGS                                                                                                \
  (O_RDONLY | O_WRONLY | O_RDWR | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND | O_NONBLOCK | O_DSYNC |      \
   FASYNC | O_DIRECT | KERNEL_O_LARGEFILE | O_DIRECTORY | O_NOFOLLOW | O_NOATIME | O_CLOEXEC | O_PATH | __O_TMPFILE |   \
   O_SYNC)
#define WRITING (O_WRONLY | O_RDWR | O_TRUNC | O_CREAT | __O_TMPFILE)

struct how {
  uint64_t flags, mode, resolve;
};

static int openat2_(int dir, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve) {
  struct how h = {flags, mode, resolve};
  return (int)syscall(__NR_openat2, dir, path, &h, sizeof h);
}

/* A creating or writing openat2 with RESOLVE_* flags: as do_open (the parent directory opened,
 * its real path checked, the last name opened on it without following a link, a final link
 * followed here and its target checked again), each step an openat2 with the caller's RESOLVE_*
 * flags from the caller's directory, so BENEATH, IN_ROOT, NO_XDEV, NO_MAGICLINKS and
 * NO_SYMLINKS hold for the whole path as the kernel would hold them. */
static int open_resolved(struct call *c, int base, const char *raw, const struct how *h, int *fd_out) {
  char path[PATHBUF];
  if (strlen(raw) >= sizeof path) return -ENAMETOOLONG;
  strcpy(path, raw);
  uint64_t resolve = h->resolve & ~(uint64_t)RESOLVE_CACHED;
  const char *op = (h->flags & O_CREAT) ? "create" : "write";
  for (int hops = 0; hops < 40; hops++) {
    struct target t = {.dir = -1};
    size_t len = strlen(path);
    if (len == 0) return -ENOENT;
    char parent[PATHBUF];
    strcpy(parent, path);
    int trailing_slash = 0;
    while (len > 1 && parent[len - 1] == '/') parent[--len] = 0, trailing_slash = 1;
    uint64_t flags = h->flags | (trailing_slash ? O_DIRECTORY : 0);
    if (trailing_slash && (flags & O_CREAT)) return -EISDIR;
    char *slash = strrchr(parent, '/');
    if (slash == NULL) {
      strcpy(t.name, parent);
      strcpy(parent, ".");
    } else {
      strcpy(t.name, slash + 1);
      if (slash == parent) slash[1] = 0;
      else *slash = 0;
    }
    if (t.name[0] == 0) strcpy(t.name, ".");
    t.dir = openat2_(base, parent, O_PATH | O_DIRECTORY | O_CLOEXEC, 0, resolve);
    if (t.dir < 0) return -errno;
    char link[64], dir[PATHBUF];
    snprintf(link, sizeof link, "/proc/self/fd/%d", t.dir);
    ssize_t n = readlink(link, dir, sizeof dir - 1);
    if (n <= 0) return drop(&t), -EACCES;
    dir[n] = 0;
    int w = snprintf(t.full, sizeof t.full, "%s/%s", strcmp(dir, "/") == 0 ? "" : dir, t.name);
    if (w <= 0 || (size_t)w >= sizeof t.full) return drop(&t), -ENAMETOOLONG;
    const char *rule = check(c->cfg, &t);
    if (rule != NULL) {
      drop(&t);
      return refuse(op, rule, t.full);
    }
    int in_proc = strncmp(t.full, "/proc/", 6) == 0;
    int nb = nonblock_for((int)flags);
    int fd = openat2_(t.dir, t.name, flags | (uint64_t)nb | (in_proc ? 0 : O_NOFOLLOW) | O_CLOEXEC | O_NOCTTY, h->mode, resolve);
    int err = errno;
    if (fd >= 0 || err == ENXIO) {
      fd = settle(c, fd, err, t.dir, t.name, (int)flags, nb);
      err = -fd;
    }
    if (fd >= 0 || c->deferred) {
      drop(&t);
      if (fd >= 0) *fd_out = fd;
      return 0;
    }
    struct stat st;
    if (err == ELOOP && !(h->flags & O_NOFOLLOW) && !(resolve & RESOLVE_NO_SYMLINKS) &&
        (h->flags & (O_CREAT | O_EXCL)) != (O_CREAT | O_EXCL) && fstatat(t.dir, t.name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        S_ISLNK(st.st_mode)) {
      char target[PATHBUF];
      n = readlinkat(t.dir, t.name, target, sizeof target - 1);
      drop(&t);
      if (n <= 0) return -ELOOP;
      target[n] = 0;
      if (target[0] == '/') {
        /* BENEATH refuses an absolute link; IN_ROOT reads it from the caller's directory. */
        if (resolve & RESOLVE_BENEATH) return -EXDEV;
        strcpy(path, target);
      } else {
        /* The link's directory as the caller named it, so the flags still bound the whole walk. */
        w = snprintf(path, sizeof path, "%s/%s", parent, target);
        if (w <= 0 || (size_t)w >= sizeof path) return -ENAMETOOLONG;
      }
      continue;
    }
    if (policy_refused(c->cfg, (int)h->flags, err, t.full)) report(op, err, "", t.full);
    drop(&t);
    return -err;
  }
  return -ELOOP;
}

/* openat2(dirfd, path, how, size): the open_how read once, bounded by `size` (the kernel's rules:
 * smaller than the first version EINVAL, larger than a page E2BIG, unknown trailing bytes
 * non-zero E2BIG), unknown flags, resolve bits or a stray mode EINVAL. Performed here like
 * openat: an open that reads only, by openat2 itself on the caller's directory (the caller's
 * RESOLVE_* flags as given); a creating or writing one through do_open (no RESOLVE_* flags) or
 * open_resolved. */
static int do_openat2(struct call *c, int dirfd, int b1, const char *path, int *fd_out, int *cloexec) {
  const struct seccomp_notif *req = c->req;
  size_t size = (size_t)req->data.args[3];
  static unsigned char buf[4096];
  if (size < sizeof(struct how)) return -EINVAL;
  if (size > sizeof buf) return -E2BIG;
  if (read_bytes((pid_t)req->pid, req->data.args[2], buf, size) != 0) return -EFAULT;
  for (size_t i = sizeof(struct how); i < size; i++)
    if (buf[i] != 0) return -E2BIG;
  if (!still_valid(c)) return -ESRCH;
  struct how h;
  memcpy(&h, buf, sizeof h);
  if ((h.flags & ~(uint64_t)(unsigned)OPEN_FLAGS) != 0) return -EINVAL;
  if ((h.resolve & ~(uint64_t)0x3f) != 0) return -EINVAL;
  if ((h.resolve & RESOLVE_BENEATH) && (h.resolve & RESOLVE_IN_ROOT)) return -EINVAL;
  int creating = (h.flags & O_CREAT) || (h.flags & __O_TMPFILE) == __O_TMPFILE;
  if (creating ? (h.mode & ~(uint64_t)07777) != 0 : h.mode != 0) return -EINVAL;
  if ((h.resolve & RESOLVE_CACHED) && (h.flags & (O_TRUNC | O_CREAT | __O_TMPFILE))) return -EAGAIN;
  *cloexec = (h.flags & O_CLOEXEC) != 0;
  int scoped = (h.resolve & (RESOLVE_BENEATH | RESOLVE_IN_ROOT)) != 0;
  char mapped[PATHBUF];
  /* /proc/self names the caller's entries; under BENEATH or IN_ROOT the path is the caller's own. */
  if (scoped) strcpy(mapped, path);
  else {
    int r = own_proc(path, (pid_t)req->pid, mapped, sizeof mapped);
    if (r != 0) return r;
  }
  /* b1: the caller's directory for a relative path (answer() owns it); an absolute one under
   * BENEATH or IN_ROOT starts there too. */
  int base = mapped[0] == '/' ? AT_FDCWD : b1, owned = -1;
  if (scoped && mapped[0] == '/') {
    owned = base = caller_dir(c, dirfd);
    if (base < 0) return base;
  }
  int rc;
  if (!scoped && names_dev_tty(mapped) && !(h.flags & O_PATH)) rc = open_ctty(c, (int)h.flags, fd_out);
  else if (!(h.flags & WRITING) || (h.flags & O_PATH)) {
    /* A read-only FIFO open waits for a writer: O_NONBLOCK here, the wait left to a worker. Its
     * pin is the fd opened (settle), so no name is resolved again. */
    int nb = nonblock_for((int)h.flags);
    int fd = openat2_(base, mapped, h.flags | (uint64_t)nb | O_NOCTTY | O_CLOEXEC, h.mode, h.resolve);
    fd = settle(c, fd, errno, -1, "", (int)h.flags, fd >= 0 ? nb : 0);
    rc = fd < 0 ? (c->deferred ? 0 : fd) : (*fd_out = fd, 0);
  } else if (h.resolve == 0) rc = do_open(c, base, mapped, (int)h.flags, (mode_t)h.mode, fd_out);
  else rc = open_resolved(c, base, mapped, &h, fd_out);
  if (owned >= 0) close(owned);
  return rc;
}

/* bind(): a pathname unix address makes a name like any other, so it gets the same check; the
 * bind is made here on the caller's socket (pidfd_getfd), the address copied once, the name
 * bound in the directory that was checked (this process's cwd moved there for the call), with
 * the caller's umask. Other families, abstract and unnamed unix addresses are bound as given
 * (abstract names live in the sandbox's network namespace, scoped by Landlock where the kernel
 * has ABI 6). */
static long do_bind(struct call *c) {
  const struct seccomp_notif *req = c->req;
  int sockfd = (int)arg(req, 0);
  size_t len = (size_t)(int)req->data.args[2];
  struct sockaddr_storage ss;
  if ((int)req->data.args[2] < 0 || len > sizeof ss) return -EINVAL;
  memset(&ss, 0, sizeof ss);
  if (len > 0 && read_bytes((pid_t)req->pid, req->data.args[1], &ss, len) != 0) return -EFAULT;
  mode_t um;
  int sock = caller_socket(c, sockfd, &um);
  if (sock < 0) return sock;
  long rc;
  struct sockaddr_un *un = (struct sockaddr_un *)&ss;
  size_t off = offsetof(struct sockaddr_un, sun_path);
  size_t pathmax = len > off ? len - off : 0;
  if (pathmax > sizeof un->sun_path) pathmax = sizeof un->sun_path;
  if (ss.ss_family != AF_UNIX || pathmax == 0 || un->sun_path[0] == 0) {
    rc = bind(sock, (struct sockaddr *)&ss, (socklen_t)len) == 0 ? 0 : -errno;
  } else if (len > sizeof(struct sockaddr_un)) {
    rc = -EINVAL; /* as af_unix answers a longer address */
  } else {
    char path[sizeof un->sun_path + 1];
    memcpy(path, un->sun_path, pathmax);
    path[pathmax] = 0;
    int base = -1;
    if (path[0] != '/') base = caller_dir(c, AT_FDCWD);
    struct target t = {.dir = -1};
    rc = path[0] != '/' && base < 0 ? base : locate((pid_t)req->pid, base, path, &t);
    const char *rule = rc == 0 ? check(c->cfg, &t) : NULL;
    if (rule != NULL) rc = refuse("bind", rule, t.full);
    else if (rc == 0) {
      struct sockaddr_un via = {.sun_family = AF_UNIX};
      size_t n = strlen(t.name);
      int here = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (n >= sizeof via.sun_path) rc = -ENAMETOOLONG;
      else if (here < 0 || fchdir(t.dir) != 0) rc = -errno;
      else {
        memcpy(via.sun_path, t.name, n + 1);
        mode_t saved = umask(um);
        rc = done("bind", bind(sock, (struct sockaddr *)&via, (socklen_t)(off + n + 1)), t.full);
        umask(saved);
      }
      if (here >= 0) {
        if (fchdir(here) != 0) _exit(1); /* never act from the wrong directory */
        close(here);
      }
    }
    drop(&t);
    if (base >= 0) close(base);
  }
  close(sock);
  return rc;
}

/* The real path of an fd of this process (its /proc/self/fd link), or "" when it has none. */
static void real_path(int fd, char *out, size_t cap) {
  char link[64];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, out, cap - 1);
  out[n > 0 ? n : 0] = 0;
}

/* The pinned object's own protection: the rule that refuses changing it, or NULL. Checked on the
 * path of the pinned inode (what the kernel resolved, links followed, read back from
 * /proc/self/fd), and the call is then made on that inode, so nothing renamed or swapped after the
 * check is reached instead. */
static const char *pinned_rule(const struct config *cfg, int pin, char *path, size_t cap) {
  real_path(pin, path, cap);
  return path[0] == '/' ? refused_by(cfg, path) : NULL;
}

/* chmod, fchmodat, fchmodat2, fchmod with an execute bit in the mode (the filter traps no other):
 * a protected file (a git hook deeper than srt's search, not mounted read-only) must not become
 * executable. The object is pinned (O_PATH, the kernel's resolution from the caller's directory;
 * fchmod: the caller's fd itself, pidfd_getfd), its path checked, and the mode set through the
 * pin. */
static long do_chmod(struct call *c, int nr) {
  const struct seccomp_notif *req = c->req;
  int pin = -1;
  mode_t mode;
  char path[PATHBUF];
  if (nr == __NR_fchmod) {
    mode_t um;
    mode = (mode_t)arg(req, 1);
    pin = caller_socket(c, (int)arg(req, 0), &um);
    if (pin < 0) return pin;
  } else {
    int at = nr != __NR_chmod_;
    int dirfd = at ? (int)arg(req, 0) : AT_FDCWD;
    unsigned flags = nr == __NR_fchmodat2_ ? (unsigned)arg(req, 3) : 0;
    mode = (mode_t)arg(req, at ? 2 : 1);
    if (flags & ~(unsigned)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return -EINVAL;
    char raw[PATHBUF], mapped[PATHBUF];
    int r = read_string((pid_t)req->pid, req->data.args[at ? 1 : 0], raw, sizeof raw);
    if (r != 0) return r;
    struct proc_slot *s = proc_of((pid_t)req->pid, 0);
    if (s == NULL) return -ESRCH;
    if (raw[0] == 0) {
      if (!(flags & AT_EMPTY_PATH)) return -ENOENT;
      if (dirfd == AT_FDCWD) strcpy(mapped, "cwd");
      else if (dirfd < 0) return -EBADF;
      else snprintf(mapped, sizeof mapped, "fd/%d", dirfd);
      pin = openat(s->dir, mapped, O_PATH | O_CLOEXEC);
      if (pin < 0) return errno == ENOENT ? -EBADF : -errno;
    } else {
      r = own_proc(raw, (pid_t)req->pid, mapped, sizeof mapped);
      if (r != 0) return r;
      int base = AT_FDCWD;
      if (mapped[0] != '/') {
        base = caller_dir(c, dirfd);
        if (base < 0) return base;
      }
      pin = openat(base, mapped, O_PATH | O_CLOEXEC | ((flags & AT_SYMLINK_NOFOLLOW) ? O_NOFOLLOW : 0));
      int err = errno;
      if (base >= 0) close(base);
      if (pin < 0) return -err;
    }
    if (!still_valid(c)) {
      close(pin);
      return -ESRCH;
    }
  }
  const char *rule = pinned_rule(c->cfg, pin, path, sizeof path);
  long rc;
  struct stat st;
  char via[64];
  snprintf(via, sizeof via, "/proc/self/fd/%d", pin);
  if (rule != NULL) rc = refuse("chmod", rule, path);
  else if (nr == __NR_fchmod) rc = done_existing(c->cfg, "chmod", fchmod(pin, mode), path);
  else if (fstat(pin, &st) == 0 && S_ISLNK(st.st_mode)) rc = -EOPNOTSUPP; /* as fchmodat2(AT_SYMLINK_NOFOLLOW) */
  else rc = done_existing(c->cfg, "chmod", chmod(via, mode), path);
  close(pin);
  return rc;
}

/* A directory moved to or from the name `.git` changes what is protected below it (the git-dir
 * names count only directly in a `.git`): moved away, an existing repository's hooks and config
 * could be rewritten and the directory moved back (or named by a `.git` file); moved there, a
 * directory prepared elsewhere brings its own. So such a rename of a directory holding any of them
 * is refused: the rule of the first one found, or NULL. No name appears in it meanwhile: every call
 * that makes one is answered by this process, one at a time. */
static const char *gitdir_move_rule(const struct config *cfg, const struct target *from, const struct target *to) {
  if (strcmp(from->name, ".git") != 0 && strcmp(to->name, ".git") != 0) return NULL;
  int d = openat(from->dir, from->name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (d < 0) return NULL; /* not a directory (or none): the rename answers for itself */
  const char *rule = NULL;
  struct stat st;
  for (int i = 0; i < cfg->n && rule == NULL; i++)
    if (cfg->entries[i].kind == E_GITDIR && fstatat(d, cfg->entries[i].value, &st, AT_SYMLINK_NOFOLLOW) == 0)
      rule = cfg->entries[i].rule;
  close(d);
  return rule;
}

/* The answer for one notification: a return value (>= 0) or -errno; *addfd set when an fd is
 * to be installed in the caller. */
static long answer(struct call *c, int *addfd, int *cloexec) {
  const struct seccomp_notif *req = c->req;
  int nr = req->data.nr;
  char p1[PATHBUF], p2[PATHBUF];
  int b1 = -1, b2 = -1;
  long rc = -ENOSYS;
  mode_t caller_umask = 022;
  pid_t tgid;
  if (nr == __NR_connect) return do_connect(c);
  if (nr == __NR_bind) return do_bind(c);
  if (nr == __NR_chmod_ || nr == __NR_fchmod || nr == __NR_fchmodat || nr == __NR_fchmodat2_) return do_chmod(c, nr);
  if (caller_status((pid_t)req->pid, &caller_umask, &tgid) != 0) return -ESRCH;

  int dfd1 = AT_FDCWD, dfd2 = AT_FDCWD;
  uint64_t ptr1 = 0, ptr2 = 0;
  int two = 0;
  switch (nr) {
#ifdef __NR_open
    case __NR_open:
    case __NR_creat:
    case __NR_mkdir:
    case __NR_mknod:
      ptr1 = req->data.args[0];
      break;
#endif
    case __NR_truncate:
#ifdef __NR_unlink
    case __NR_unlink:
    case __NR_rmdir:
#endif
      ptr1 = req->data.args[0];
      break;
    case __NR_unlinkat:
      dfd1 = (int)arg(req, 0), ptr1 = req->data.args[1];
      break;
#ifdef __NR_open
    case __NR_rename:
    case __NR_link:
      ptr1 = req->data.args[0], ptr2 = req->data.args[1], two = 1;
      break;
    case __NR_symlink:
      ptr1 = req->data.args[0], ptr2 = req->data.args[1], two = 1;
      break;
#endif
    case __NR_openat:
    case __NR_openat2:
    case __NR_mkdirat:
    case __NR_mknodat:
      dfd1 = (int)arg(req, 0), ptr1 = req->data.args[1];
      break;
#ifdef __NR_renameat
    case __NR_renameat:
#endif
    case __NR_renameat2:
    case __NR_linkat:
      dfd1 = (int)arg(req, 0), ptr1 = req->data.args[1], dfd2 = (int)arg(req, 2), ptr2 = req->data.args[3], two = 1;
      break;
    case __NR_symlinkat:
      ptr1 = req->data.args[0], dfd2 = (int)arg(req, 1), ptr2 = req->data.args[2], two = 1;
      break;
    default:
      return -ENOSYS;
  }
  int symlink_call = 0;
#ifdef __NR_symlink
  symlink_call |= nr == __NR_symlink;
#endif
  symlink_call |= nr == __NR_symlinkat;
  if (symlink_call) {
    /* The link's text is data, not a path resolved now. */
    int r = read_string((pid_t)req->pid, ptr1, p1, PATHBUF);
    if (r != 0) return r;
  } else {
    int r = fetch(c, dfd1, ptr1, p1, &b1);
    if (r != 0) return r;
  }
  if (two) {
    int r = fetch(c, dfd2, ptr2, p2, &b2);
    if (r != 0) {
      if (b1 >= 0) close(b1);
      return r;
    }
  }
  /* Everything read from the caller: is it still the caller that asked? (pid reuse) */
  if (!still_valid(c)) {
    rc = -ESRCH;
    goto out;
  }

  set_umask(caller_umask);
  struct target t1 = {.dir = -1}, t2 = {.dir = -1};
  const char *rule;
  switch (nr) {
#ifdef __NR_open
    case __NR_open:
    case __NR_creat:
#endif
    case __NR_openat: {
      int flags, fd = -1;
      mode_t mode;
#ifdef __NR_open
      if (nr == __NR_creat) flags = O_CREAT | O_WRONLY | O_TRUNC, mode = (mode_t)arg(req, 1);
      else if (nr == __NR_open) flags = (int)arg(req, 1), mode = (mode_t)arg(req, 2);
      else
#endif
        flags = (int)arg(req, 2), mode = (mode_t)arg(req, 3);
      if (names_dev_tty(p1)) rc = (flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL) ? -EEXIST : open_ctty(c, flags, &fd);
      else rc = do_open(c, b1, p1, flags, mode, &fd);
      if (rc == 0) {
        *addfd = fd;
        *cloexec = (flags & O_CLOEXEC) != 0;
      }
      break;
    }
    case __NR_truncate: {
      /* truncate(2) rewrites a file by its name: opened for writing here (do_open: checked, a
       * final link followed and checked), then cut on that fd. */
      int fd = -1;
      struct stat st;
      /* O_NONBLOCK: a FIFO without a reader must not hold this process (truncate: EINVAL there). */
      rc = do_open(c, b1, p1, O_WRONLY | O_NONBLOCK, 0, &fd);
      if (rc == -ENXIO) rc = -EINVAL;
      if (rc == 0) {
        if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) rc = -EINVAL;
        else rc = ftruncate(fd, (off_t)arg(req, 1)) == 0 ? 0 : -errno;
        close(fd);
      }
      break;
    }
#ifdef __NR_unlink
    case __NR_unlink:
    case __NR_rmdir:
#endif
    case __NR_unlinkat: {
      /* Removing a protected name (a nested repository's config or commondir deeper than srt's
       * search) is refused like making one; the rest is removed here, in the directory checked. */
      int flags = nr == __NR_unlinkat ? (int)arg(req, 2) : nr == __NR_rmdir_ ? AT_REMOVEDIR : 0;
      const char *op = (flags & AT_REMOVEDIR) ? "rmdir" : "unlink";
      if (flags & ~AT_REMOVEDIR) {
        rc = -EINVAL;
        break;
      }
      rc = locate((pid_t)req->pid, b1, p1, &t1);
      if (rc != 0) break;
      if ((rule = check(c->cfg, &t1)) != NULL) {
        rc = refuse(op, rule, t1.full);
        break;
      }
      char name[PATHBUF + 2];
      snprintf(name, sizeof name, "%s%s", t1.name, t1.trailing_slash ? "/" : ""); /* "file/": ENOTDIR */
      rc = done_existing(c->cfg, op, unlinkat(t1.dir, name, flags), t1.full);
      break;
    }
    case __NR_openat2: {
      int fd = -1, cloexec2 = 0;
      rc = do_openat2(c, dfd1, b1, p1, &fd, &cloexec2);
      if (rc == 0) {
        *addfd = fd;
        *cloexec = cloexec2;
      }
      break;
    }
#ifdef __NR_mkdir
    case __NR_mkdir:
    case __NR_mknod:
#endif
    case __NR_mkdirat:
    case __NR_mknodat: {
      int is_mkdir = nr == __NR_mkdirat;
#ifdef __NR_mkdir
      is_mkdir |= nr == __NR_mkdir;
      int at = nr == __NR_mkdirat || nr == __NR_mknodat;
#else
      int at = 1;
#endif
      mode_t mode = (mode_t)arg(req, at ? 2 : 1);
      rc = locate((pid_t)req->pid, b1, p1, &t1);
      if (rc != 0) break;
      if ((rule = check(c->cfg, &t1)) != NULL) {
        rc = refuse(is_mkdir ? "mkdir" : "mknod", rule, t1.full);
        break;
      }
      if (is_mkdir) rc = done("mkdir", mkdirat(t1.dir, t1.name, mode), t1.full);
      else rc = done("mknod", mknodat(t1.dir, t1.name, mode, (dev_t)arg(req, at ? 3 : 2)), t1.full);
      break;
    }
    default: {
      /* rename*, link*, symlink*: p2 is the new name. */
      rc = locate((pid_t)req->pid, b2, p2, &t2);
      if (rc != 0) break;
      const char *op = symlink_call ? "symlink" : (nr == __NR_linkat
#ifdef __NR_link
                                                  || nr == __NR_link
#endif
                                                  )
                                                     ? "link"
                                                     : "rename";
      if ((rule = check(c->cfg, &t2)) != NULL) {
        rc = refuse(op, rule, t2.full);
        break;
      }
      if (symlink_call) {
        rc = done(op, symlinkat(p1, t2.dir, t2.name), t2.full);
        break;
      }
      rc = locate((pid_t)req->pid, b1, p1, &t1);
      if (rc != 0) break;
      /* The old name too: a protected file moved away is gone from where git reads it (as an
       * unlink), and one hard-linked to another name could be written through that name. */
      if ((rule = check(c->cfg, &t1)) != NULL) {
        rc = refuse(op, rule, t1.full);
        break;
      }
      if (op[0] == 'l') {
        int flags = nr == __NR_linkat ? (int)arg(req, 4) : 0;
        if (flags & AT_EMPTY_PATH) {
          rc = -ENOENT; /* needs CAP_DAC_READ_SEARCH, which nothing in the sandbox has */
          break;
        }
        if (flags & AT_SYMLINK_FOLLOW) {
          /* The link's target is what gets the new name: pinned, its own path checked, linked through the pin. */
          int pin = openat(t1.dir, t1.name, O_PATH | O_CLOEXEC);
          if (pin < 0) {
            rc = -errno;
            break;
          }
          char real[PATHBUF], via[64];
          if ((rule = pinned_rule(c->cfg, pin, real, sizeof real)) != NULL) rc = refuse(op, rule, real);
          else {
            snprintf(via, sizeof via, "/proc/self/fd/%d", pin);
            rc = done(op, linkat(AT_FDCWD, via, t2.dir, t2.name, AT_SYMLINK_FOLLOW), t2.full);
          }
          close(pin);
          break;
        }
        rc = done(op, linkat(t1.dir, t1.name, t2.dir, t2.name, 0), t2.full);
      } else {
        unsigned flags = nr == __NR_renameat2 ? (unsigned)arg(req, 4) : 0;
        if ((rule = gitdir_move_rule(c->cfg, &t1, &t2)) != NULL ||
            ((flags & RENAME_EXCHANGE) && (rule = gitdir_move_rule(c->cfg, &t2, &t1)) != NULL)) {
          rc = refuse(op, rule, t1.full);
          break;
        }
        rc = done(op, (int)syscall(SYS_renameat2, t1.dir, t1.name, t2.dir, t2.name, flags), t2.full);
      }
      break;
    }
  }
  drop(&t1);
  drop(&t2);
out:
  if (b1 >= 0) close(b1);
  if (b2 >= 0) close(b2);
  return rc;
}

int set_sync_wake(int listener) {
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, uint64_t)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif
  return ioctl(listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP);
}

static void respond(int listener, uint64_t id, long val) {
  struct seccomp_notif_resp resp = {.id = id, .val = val < 0 ? 0 : val, .error = val < 0 ? (int)val : 0, .flags = 0};
  /* ENOENT: the caller is gone (killed, or its syscall interrupted); nothing to answer. */
  while (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) != 0 && errno == EINTR) {
  }
}

static void handle_one(int listener, const struct config *cfg, struct seccomp_notif *req) {
  struct call c = {.req = req, .listener = listener, .cfg = cfg, .report_fd = report_fd_global, .pidfd = -1, .deferred = 0};
  int fd = -1, cloexec = 0;
  long rc = answer(&c, &fd, &cloexec);
  if (c.pidfd >= 0) close(c.pidfd);
  if (c.deferred) return; /* a worker answers */
  if (fd >= 0) {
    struct seccomp_notif_addfd add = {
        .id = req->id, .flags = SECCOMP_ADDFD_FLAG_SEND, .srcfd = (uint32_t)fd, .newfd = 0,
        .newfd_flags = cloexec ? O_CLOEXEC : 0};
    int r = ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add);
    int err = errno;
    close(fd);
    if (r >= 0) return; /* SEND: the fd number is the caller's return value */
    if (err == ENOENT) return;
    rc = -err;
  }
  respond(listener, req->id, rc);
}

void handle_notifications(int listener, const struct config *cfg, int report_fd, pid_t child) {
  report_fd_global = report_fd;
  /* Two fds a kept /proc entry; leave most of the fd limit to the calls themselves. */
  struct rlimit nofile;
  if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur > 96) {
    rlim_t n = (nofile.rlim_cur - 64) / 2;
    proc_nslots = n < PROC_SLOTS ? (unsigned)n : PROC_SLOTS;
  }
  struct seccomp_notif_sizes sizes;
  if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) != 0) sizes.seccomp_notif = sizeof(struct seccomp_notif);
  size_t size = sizes.seccomp_notif > sizeof(struct seccomp_notif) ? sizes.seccomp_notif : sizeof(struct seccomp_notif);
  struct seccomp_notif *req = malloc(size);
  if (req == NULL) _exit(1);

  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) _exit(1);
  /* Linux >= 6.6: wake this process synchronously on the caller's CPU, so a trapped call costs a
   * context switch, not a trip through the scheduler (older kernels: EINVAL, ignored). */
  if (set_sync_wake(listener) != 0) errno = 0;
  struct pollfd fds[2] = {{.fd = listener, .events = POLLIN}, {.fd = sfd, .events = POLLIN}};
  int listening = 1;
  /* SIGCHLD has been blocked since before the fork, so an exit is never missed: it is pending
   * and makes the signalfd readable. The child is waited for only then. */
  int chld_seen = 1;
  for (;;) {
    if (chld_seen) {
      /* The command, or a FIFO worker (defer_fifo) that answered. */
      int status;
      pid_t w;
      while ((w = waitpid(-1, &status, WNOHANG)) > 0) {
        if (w != child) continue;
        if (WIFEXITED(status)) _exit(WEXITSTATUS(status));
        _exit(128 + WTERMSIG(status));
      }
      chld_seen = 0;
    }
    fds[0].fd = listening ? listener : -1;
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      _exit(1);
    }
    if (fds[1].revents & POLLIN) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) > 0) chld_seen = 1;
    }
    if (listening && (fds[0].revents & (POLLHUP | POLLERR)) && !(fds[0].revents & POLLIN)) listening = 0;
    if (listening && (fds[0].revents & POLLIN)) {
      memset(req, 0, size);
      if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, req) != 0) continue; /* EINTR, or the caller died (ENOENT) */
      handle_one(listener, cfg, req);
    }
  }
}
