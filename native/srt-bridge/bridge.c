/*
 * srt-bridge: the proxy ingress of one sandboxed run (DESIGN §3, way 1). It
 * enters the sandbox's network namespace, listens on 127.0.0.1:PORT there for
 * each PORT=SOCKET pair it is given, and joins every accepted connection to a
 * new connection to SOCKET (srt's proxy, a unix socket on the host), copying
 * bytes both ways with splice. It replaces the per-port chain
 * `setpriv --pdeathsig KILL nsenter --net [--user --preserve-credentials] socat`.
 *
 *   srt-bridge PARENT_PID SANDBOX_PID USERNS(0|1) PORT=SOCKET...
 *
 * Fd 3 is the readiness pipe: once every port listens and every privilege is
 * dropped, the line "ready\n" is written and fd 3 closed. Any failure before
 * that: one line on stderr, exit 70, and srt refuses the run.
 *
 * Threat model. This program runs OUTSIDE the sandbox's seccomp filter but
 * INSIDE its network namespace (and, for an unprivileged run, its user
 * namespace), with srt's uid. Who can reach it:
 *  - the sandboxed command can connect to its ports and send any bytes; they
 *    are copied, never parsed, so nothing it sends changes what this program
 *    does. Each connection costs it 2 sockets, 1 pipe and, while the command
 *    reads slower than the proxy sends, at most 64 KiB of memory (what its
 *    socket did not take yet; a pipe held as much before); when descriptors
 *    run out it stops accepting for a moment (the kernel's backlog holds the
 *    rest).
 *    TCP urgent data (MSG_OOB) is the one thing splice() cannot read past: it
 *    stops before the urgent byte and says EAGAIN while epoll says readable,
 *    which would stall the connection and spin this loop. Client sockets are
 *    read with SO_OOBINLINE and one recv() takes the bytes at the mark
 *    (pass_mark), so the urgent byte is copied like any other. EPOLLPRI and
 *    SIOCATMARK are looked at only on the proxy's side: the reset mark below
 *    is srt's to send, and nothing the command sends can make one.
 *  - the proxy side (srt's proxy and srt-relay, trusted) ends a connection
 *    that must look like an error — its upstream reset, a body cut short —
 *    with one out-of-band byte on the unix socket (a unix stream has no
 *    reset; AF_UNIX MSG_OOB, Linux 5.15+). On it (EPOLLPRI, or SIOCATMARK
 *    before a read would pass it) this program resets the TCP connection
 *    (SO_LINGER 0): the client sees ECONNRESET, not a clean end of data.
 *  - the command cannot name it: the sandbox has its own pid namespace and
 *    this process lives in the host's. Without one (the weaker nested
 *    sandbox) it can see it and, being of the same uid, signal it: killing
 *    its own bridge only cuts its own network. Even by pid it could not
 *    ptrace it or read its memory: the process is non-dumpable and its mm belongs to the
 *    host's user namespace, so ptrace and /proc/PID/mem need CAP_SYS_PTRACE
 *    there, which nothing in a sandbox has. No capability is kept (effective,
 *    permitted, inheritable, ambient and bounding sets all empty) and
 *    no_new_privs is set, so the process could not regain any, and holds
 *    nothing worth taking: a listening socket in the sandbox's own namespace
 *    and the right to connect to srt's proxy sockets, which the command's
 *    traffic reaches through it anyway.
 *  - a process of the same uid outside the sandbox could signal it; such a
 *    process is outside srt's threat model (it could kill srt itself).
 * What it trusts: its argv and fds, from srt (its parent). SANDBOX_PID is
 * the sandbox's first process, held by bwrap's block fd until this program
 * says ready; its namespace files are opened before anything else. If srt
 * dies this program is killed (PR_SET_PDEATHSIG), and it checks that its
 * parent is still PARENT_PID after setting that, so it never outlives srt.
 *
 * Tuning, as srt's socat bridge had: a listen backlog of 4096 (capped by
 * net.core.somaxconn), 64 KiB per read, and no timer after a half-close.
 * Client -> proxy is spliced (TCP -> 64 KiB pipe -> unix socket). Proxy ->
 * client, the download direction, is copied through one shared 64 KiB buffer
 * (recv, send), as socat did: splicing a unix socket into loopback TCP was
 * measured at about half the throughput of copying it (bench/bridge.mjs, and
 * the bridge alone between a unix sender and a TCP reader: splice 842, copy
 * 1271, socat 976 MiB/s, medians of 12 interleaved runs); the other direction
 * splices faster than socat copies. After a half-close: a FIN read on one
 * side is passed on as shutdown(SHUT_WR) once what is pending is written, and
 * a connection ends when both directions ended (srt's proxy has its own rule
 * for idle half-closed tunnels) or at once on an error, which reaches the TCP
 * side as a reset.
 */
#ifndef __linux__
int main(void) { return 70; }
#else
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define READY_FD 3
#define BACKLOG 4096
#define PIPE_SIZE (64 * 1024)
#define CHUNK (64 * 1024)
#define MAXPORTS 8
#define CONNECT_RETRY_MS 5000

struct listener {
  int fd;
  int port;
  struct sockaddr_un to;
  int paused;
};

/* d[0], client -> proxy, is spliced through pipe; d[1], proxy -> client, is copied (see Tuning). */
struct dir {
  int pipe[2];    /* d[0] only; -1 otherwise */
  char *buf;      /* d[1] only: what the client's socket did not take yet */
  size_t off;     /* where in buf */
  size_t waiting; /* bytes read from src waiting for dst, in the pipe or in buf */
  int eof, shut;
};

static char scratch[CHUNK];

struct conn {
  int fd[2]; /* 0 the TCP client in the sandbox, 1 the proxy's unix socket */
  uint32_t want[2];
  struct dir d[2]; /* d[i]: from fd[i] to fd[1-i] */
  int dead;
  long long since; /* while connecting: when the first attempt failed */
  struct listener *l;
  struct conn *next; /* graves, or the list of connections waiting to connect */
};

static int ep;
static struct listener ls[MAXPORTS];
static int nls;
static struct conn *graves, *waiting;

static void die(const char *what) {
  fprintf(stderr, "srt-bridge: %s: %s\n", what, strerror(errno));
  exit(70);
}

static void fail(const char *what) {
  fprintf(stderr, "srt-bridge: %s\n", what);
  exit(70);
}

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- start-up: namespaces, listeners, privileges ---- */

static int open_ns(const char *pid, const char *kind) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%s/ns/%s", pid, kind);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) die(path);
  return fd;
}

static void drop_privileges(void) {
  /* The bounding set first (dropping needs CAP_SETPCAP, held until capset below), then ambient,
   * then every set of this thread. In an entered user namespace these are its capabilities. */
  for (int c = 0; c <= 63; c++)
    if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL) die("dropping the bounding set");
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) die("clearing ambient");
  struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
  struct __user_cap_data_struct d[2];
  memset(d, 0, sizeof d);
  if (syscall(SYS_capset, &h, d) < 0) die("capset");
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) die("no_new_privs");
  /* Credential changes reset these two, so they come last. */
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) die("dumpable");
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) die("pdeathsig");
  memset(d, 0xff, sizeof d);
  if (syscall(SYS_capget, &h, d) < 0) die("capget");
  for (int i = 0; i < 2; i++)
    if (d[i].effective | d[i].permitted | d[i].inheritable) fail("capabilities remain after dropping them");
}

static void listen_on(struct listener *l) {
  l->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (l->fd < 0) die("socket");
  int one = 1;
  setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)l->port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(l->fd, (struct sockaddr *)&a, sizeof a) < 0) die("bind 127.0.0.1");
  if (listen(l->fd, BACKLOG) < 0) die("listen");
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = l};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, l->fd, &ev) < 0) die("epoll_ctl");
}

/* ---- connections ---- */

static int is_listener(void *p) { return p >= (void *)ls && p < (void *)(ls + MAXPORTS); }

static int arm(struct conn *c, int i) {
  uint32_t w = 0;
  if (!c->d[i].eof && c->d[i].waiting == 0) w |= EPOLLIN;
  if (c->d[1 - i].waiting > 0) w |= EPOLLOUT;
  /* The proxy's reset mark is watched even while its bytes wait for a slow client. */
  if (i == 1 && !c->d[1].eof) w |= EPOLLPRI;
  if (w == c->want[i]) return 0;
  struct epoll_event ev = {.events = w, .data.ptr = (void *)((uintptr_t)c | (uintptr_t)i)};
  int r = w == 0 ? epoll_ctl(ep, EPOLL_CTL_DEL, c->fd[i], NULL)
                 : epoll_ctl(ep, c->want[i] ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->fd[i], &ev);
  c->want[i] = w;
  return r;
}

static void finish(struct conn *c, int error) {
  if (error) {
    /* A reset stays a reset: a FIN would say the bytes so far are complete. */
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    setsockopt(c->fd[0], SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  }
  for (int i = 0; i < 2; i++) {
    if (c->fd[i] >= 0) close(c->fd[i]);
    if (c->d[i].pipe[0] >= 0) close(c->d[i].pipe[0]);
    if (c->d[i].pipe[1] >= 0) close(c->d[i].pipe[1]);
    free(c->d[i].buf);
  }
  c->dead = 1;
  c->next = graves;
  graves = c;
}

static int again(void) { return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR; }

/* Writes what waits in direction i; -1 on error. */
static int flush(struct conn *c, int i) {
  struct dir *d = &c->d[i];
  while (d->waiting > 0) {
    ssize_t w = d->buf ? send(c->fd[1 - i], d->buf + d->off, d->waiting, MSG_NOSIGNAL | MSG_DONTWAIT)
                       : splice(d->pipe[0], NULL, c->fd[1 - i], NULL, d->waiting, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (w < 0 && i == 0 && (errno == EPIPE || errno == ECONNRESET)) {
      /* The proxy stopped reading: it has answered (a 403 before the body, say) and closed. The
       * client's further bytes have nowhere to go and are left unread, but the answer already on
       * its way back must still reach the client: only the upload ends here. */
      d->waiting = 0;
      d->eof = d->shut = 1;
      return 0;
    }
    if (w < 0) return again() ? 0 : -1;
    d->waiting -= (size_t)w;
    if (d->buf) d->off += (size_t)w;
  }
  free(d->buf);
  d->buf = NULL;
  d->off = 0;
  return 0;
}

/* 1 when the next byte to read from fd is an out-of-band mark. */
static int at_mark(int fd) {
  int at = 0;
  return ioctl(fd, SIOCATMARK, &at) == 0 && at;
}

/* At the client's TCP urgent mark splice() says EAGAIN for ever: one recv() (SO_OOBINLINE) takes
 * what is there, urgent byte included, into the empty pipe. Bytes moved; 0: not at a mark. */
static ssize_t pass_mark(int fd, int pipe_in) {
  if (!at_mark(fd)) return 0;
  char b[4096];
  ssize_t r = recv(fd, b, sizeof b, MSG_DONTWAIT);
  if (r <= 0) return r == 0 || errno == EAGAIN || errno == EINTR ? 0 : -1; /* EOF: the next splice says it */
  /* The pipe is empty (pump reads only then) and holds at least a page: one write takes it all. */
  return write(pipe_in, b, (size_t)r) == r ? r : -1;
}

/* Proxy -> client: read into the shared scratch buffer and written at once; only what the client's
 * socket does not take is kept (at most CHUNK per connection, while its client is slow). */
static int copy_out(struct conn *c) {
  struct dir *d = &c->d[1];
  while (!d->eof && d->waiting == 0) {
    /* The proxy's reset mark: a read now would drop it, and its EOF would look clean. */
    if (at_mark(c->fd[1])) return -1;
    ssize_t r = recv(c->fd[1], scratch, CHUNK, MSG_DONTWAIT);
    if (r < 0) return again() ? 0 : -1;
    if (r == 0) {
      d->eof = 1;
      break;
    }
    ssize_t w = send(c->fd[0], scratch, (size_t)r, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w < 0 && !again()) return -1;
    if (w < 0) w = 0;
    if (w < r) {
      d->buf = malloc((size_t)(r - w));
      if (!d->buf) return -1;
      memcpy(d->buf, scratch + w, (size_t)(r - w));
      d->off = 0;
      d->waiting = (size_t)(r - w);
    }
  }
  return 0;
}

/* Client -> proxy: spliced, the bytes never enter this process. */
static int pump(struct conn *c, int i) {
  if (i == 1) return copy_out(c);
  struct dir *d = &c->d[0];
  while (!d->eof && d->waiting == 0) {
    ssize_t r = splice(c->fd[0], NULL, d->pipe[1], NULL, PIPE_SIZE, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (r < 0 && errno == EAGAIN) {
      r = pass_mark(c->fd[0], d->pipe[1]);
      if (r <= 0) return (int)r;
    }
    if (r < 0) return again() ? 0 : -1;
    if (r == 0) {
      d->eof = 1;
      break;
    }
    d->waiting = (size_t)r;
    if (flush(c, 0) < 0) return -1;
  }
  return 0;
}

static void settle(struct conn *c) {
  for (int i = 0; i < 2; i++) {
    struct dir *d = &c->d[i];
    if (d->eof && d->waiting == 0 && !d->shut) {
      shutdown(c->fd[1 - i], SHUT_WR);
      d->shut = 1;
    }
  }
  if (c->d[0].shut && c->d[1].shut) return finish(c, 0);
  if (arm(c, 0) < 0 || arm(c, 1) < 0) return finish(c, 1);
}

static void on_event(struct conn *c, int side, uint32_t ev) {
  if (ev & EPOLLERR) {
    /* An error on the proxy's socket (it closed with the client's bytes unread, as TCP would
     * reset) comes after what it sent: that is passed on first, then the client gets the reset. */
    if (side == 1) (void)pump(c, 1);
    return finish(c, 1);
  }
  if (c->d[1 - side].waiting > 0) {
    if (flush(c, 1 - side) < 0) return finish(c, 1);
    if (c->d[1 - side].waiting == 0 && pump(c, 1 - side) < 0) return finish(c, 1);
  }
  if ((ev & (EPOLLIN | EPOLLHUP | EPOLLRDHUP)) && pump(c, side) < 0) return finish(c, 1);
  /* The proxy marked its end as an error (its upstream reset): what could be passed on was. */
  if (side == 1 && (ev & EPOLLPRI)) return finish(c, 1);
  settle(c);
}

/* 1: connected and started; 0: the proxy's backlog is full, try again; -1: failed. */
static int try_connect(struct conn *c) {
  if (connect(c->fd[1], (struct sockaddr *)&c->l->to, sizeof c->l->to) < 0) {
    if (errno == EAGAIN || errno == EINTR) return 0;
    return -1;
  }
  if (pipe2(c->d[0].pipe, O_CLOEXEC | O_NONBLOCK) < 0) return -1;
  fcntl(c->d[0].pipe[1], F_SETPIPE_SZ, PIPE_SIZE);
  for (int i = 0; i < 2; i++)
    if (pump(c, i) < 0) return -1;
  settle(c);
  return 1;
}

static void on_accept(struct listener *l) {
  for (int k = 0; k < 64; k++) {
    int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        /* Out of descriptors: leave the rest in the backlog and look again shortly. */
        epoll_ctl(ep, EPOLL_CTL_DEL, l->fd, NULL);
        l->paused = 1;
      }
      return;
    }
    struct conn *c = calloc(1, sizeof *c);
    int u = c ? socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0) : -1;
    if (u < 0) {
      free(c);
      close(fd);
      continue;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_OOBINLINE, &one, sizeof one); /* see pass_mark */
    c->fd[0] = fd;
    c->fd[1] = u;
    c->l = l;
    for (int i = 0; i < 2; i++) c->d[i].pipe[0] = c->d[i].pipe[1] = -1;
    int r = try_connect(c);
    if (r < 0 && !c->dead) finish(c, 1);
    if (r == 0) {
      c->since = now_ms();
      c->next = waiting;
      waiting = c;
    }
  }
}

static void retry_waiting(void) {
  struct conn *list = waiting;
  waiting = NULL;
  long long now = now_ms();
  while (list) {
    struct conn *c = list;
    list = c->next;
    c->next = NULL;
    int r = now - c->since > CONNECT_RETRY_MS ? -1 : try_connect(c);
    if (r < 0 && !c->dead) finish(c, 1);
    if (r == 0) {
      c->next = waiting;
      waiting = c;
    }
  }
}

int main(int argc, char **argv) {
  if (argc < 5 || argc - 4 > MAXPORTS) fail("usage: srt-bridge PARENT_PID SANDBOX_PID USERNS(0|1) PORT=SOCKET...");
  pid_t parent = (pid_t)atol(argv[1]);
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) die("pdeathsig");
  if (getppid() != parent) fail("srt, its parent, is gone");
  signal(SIGPIPE, SIG_IGN);
  if (fcntl(READY_FD, F_GETFD) < 0) fail("fd 3 is not the readiness pipe");
  for (int i = 4; i < argc; i++) {
    struct listener *l = &ls[nls++];
    char *eq = strchr(argv[i], '=');
    char *end;
    long port = eq ? strtol(argv[i], &end, 10) : 0;
    if (!eq || end != eq || port <= 0 || port > 65535) fail("a bridge is PORT=SOCKET");
    l->port = (int)port;
    l->to.sun_family = AF_UNIX;
    if (strlen(eq + 1) >= sizeof l->to.sun_path || eq[1] != '/') fail("the socket path must be absolute and short");
    strcpy(l->to.sun_path, eq + 1);
  }
  /* Namespaces: both opened before either is entered (the pid's ns files are then fixed). */
  int userns = strcmp(argv[3], "1") == 0 ? open_ns(argv[2], "user") : -1;
  int netns = open_ns(argv[2], "net");
  if (userns >= 0 && setns(userns, CLONE_NEWUSER) < 0) die("entering the sandbox's user namespace");
  if (setns(netns, CLONE_NEWNET) < 0) die("entering the sandbox's network namespace");
  if (userns >= 0) close(userns);
  close(netns);
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die("epoll_create1");
  for (int i = 0; i < nls; i++) listen_on(&ls[i]);
  drop_privileges();
  if (getppid() != parent) fail("srt, its parent, is gone");
  if (write(READY_FD, "ready\n", 6) != 6) die("writing to the readiness pipe");
  close(READY_FD);
  struct epoll_event evs[64];
  for (;;) {
    int paused = 0;
    for (int i = 0; i < nls; i++) paused |= ls[i].paused;
    int n = epoll_wait(ep, evs, 64, waiting || paused ? 10 : -1);
    if (n < 0 && errno != EINTR) die("epoll_wait");
    for (int k = 0; k < n; k++) {
      void *p = evs[k].data.ptr;
      if (is_listener(p)) {
        on_accept(p);
        continue;
      }
      uintptr_t v = (uintptr_t)p;
      struct conn *c = (struct conn *)(v & ~(uintptr_t)1);
      if (!c->dead) on_event(c, (int)(v & 1), evs[k].events);
    }
    while (graves) {
      struct conn *g = graves;
      graves = g->next;
      free(g);
    }
    if (waiting) retry_waiting();
    for (int i = 0; i < nls; i++)
      if (ls[i].paused) {
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &ls[i]};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, ls[i].fd, &ev) == 0) ls[i].paused = 0;
      }
  }
}
#endif
