/*
 * srt-bridge: the proxy ingress of one sandboxed run (DESIGN §3, way 1). It
 * enters the sandbox's network namespace, listens on 127.0.0.1:PORT there for
 * each PORT=SOCKET pair it is given, and joins every accepted connection to a
 * new connection to SOCKET (srt's proxy, a unix socket on the host), copying
 * bytes both ways with splice. It replaces the per-port chain
 * `setpriv --pdeathsig KILL nsenter --net [--user --preserve-credentials] socat`.
 *
 *   srt-bridge PARENT_PID SANDBOX_PID USERNS(0|1) [relay=MS] [child-of=PID] PORT=SOCKET...
 *
 * Fd 3 is the readiness pipe: once every port listens and every privilege is
 * dropped, the line "ready\n" is written and fd 3 closed. Any failure before
 * that: one line on stderr, exit 70, and srt refuses the run.
 *
 * One hop (relay=MS; issue 19). Without it every tunnel's bytes are copied
 * twice: here (TCP <-> unix socket) and again by srt-relay (unix socket <->
 * upstream). With it, fd 4 is srt's control channel (one end of an unnamed
 * socketpair, the IPC pipe srt spawned us with) and srt hands the bridge the
 * tunnels of the bridge's own connections, with srt-relay's protocol (the top
 * of native/srt-relay/relay.c: 'c' carries the proxy's end P of a
 * connection's unix socket and the bytes srt read from the client, 'u' the
 * upstream socket srt dialled and the bytes srt read from it, 'x' drops a 'c';
 * one report line per tunnel on stdout). The bridge then joins the client's
 * TCP socket to the upstream itself, both ways spliced, and closes both unix
 * ends: one copying hop. Which connection P belongs to: each connection's unix
 * end is autobound (an abstract name the kernel picks, unique in this network
 * namespace while the socket lives), and P belongs to connection C only if
 * P's peer was connected by this very process (SO_PEERCRED: the same name in
 * another namespace is another process's socket), is still open (P not hung
 * up: a closed socket's name may be reused), and has C's name. Anything else
 * is refused: the upstream is reset, P gets the reset mark, the report says
 * "error"; no other connection changes. The hand-over is done in this one
 * thread, between two events, so nothing moves meanwhile: client -> upstream
 * gets srt's bytes, then what P has unread, then what this process holds from
 * the client; upstream -> client gets what is held for the client, then what
 * the unix end has unread (srt's own answer: 200, the SOCKS reply, not counted
 * in the report), then srt's bytes from the upstream. From then on the tunnel
 * follows srt-relay's rules: a FIN is passed on as shutdown(SHUT_WR), after
 * the first FIN MS of silence ends it ("idle"), an error resets both TCP
 * sockets (SO_LINGER 0: the sandboxed client sees ECONNRESET), and urgent
 * data is carried (pass_mark, on both sockets). Tunnels of other clients
 * (`srt proxy`, a library sandbox's proxies, TLS-terminated tunnels) never
 * come here.
 *
 * Threat model. This program runs OUTSIDE the sandbox's seccomp filter but
 * INSIDE its network namespace (and, for an unprivileged run, its user
 * namespace), with srt's uid. Who can reach it:
 *  - the sandboxed command can connect to its ports and send any bytes; they
 *    are copied, never parsed, so nothing it sends changes what this program
 *    does. Each connection costs it 2 sockets, 1 pipe (2 once direct) and,
 *    while the command reads slower than the proxy sends, at most 64 KiB of
 *    memory (what its socket did not take yet; a pipe held as much before),
 *    plus, once, what a hand-over found in its unix sockets (bounded by their
 *    buffers) and srt's pre-read bytes (at most 1 MiB a side) until written;
 *    when descriptors run out it stops accepting for a moment (the kernel's
 *    backlog holds the rest).
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
 *  - with relay=MS it holds, besides, upstream sockets on the host's network
 *    that srt dialled, and a control channel from srt. The upstreams give the
 *    command nothing it did not have: each is a connection srt's proxy already
 *    decided to allow for that command and would have copied for it anyway,
 *    joined only to the client connection srt decided it for (One hop: a socket
 *    is matched by the kernel's SO_PEERCRED and autobound names, which the
 *    command's bytes cannot change), and the process dials nothing, resolves
 *    nothing and cannot be made to by any byte it copies. The control channel
 *    is a socketpair end inherited from srt: no name in any file system or
 *    abstract namespace, not a descriptor the command holds, and (as above)
 *    not one it can take from this process. The command's own unix sockets in
 *    its namespace can neither take a connection's autobound name (the kernel
 *    refuses a name in use) nor connect to these sockets (they do not
 *    listen); squatting names only makes the kernel pick others.
 *  - a process of the same uid outside the sandbox could signal it; such a
 *    process is outside srt's threat model (it could kill srt itself).
 * What it trusts: its argv and fds, from srt (its parent), and fd 4's
 * messages (srt's). SANDBOX_PID is
 * the sandbox's first process, held by bwrap's block fd until this program
 * says ready (the command cannot run, so cannot end it, before then); its
 * namespace files are opened before anything else, through its /proc
 * directory. A pid, though, names a process only while it lives: were the
 * sandbox's process killed from outside before that (by a same-uid command
 * of a weaker nested sandbox, which sees host pids, also srt's: stopped, srt
 * would start this program late) its pid could be recycled by a process in
 * another sandbox, whose namespaces this program would enter, listening there
 * for this run's proxies. With child-of=PID (bwrap, srt's child) the process
 * whose namespaces were opened must, afterwards, still be PID's child, and PID
 * srt's: nothing else forks from bwrap, and a pid whose process ended is not
 * its child any more. If srt
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
 * side as a reset. A direct tunnel (One hop) splices both ways through 1 MiB
 * pipes: TCP to TCP, as fast as copying (splice 0.54x, copy 0.51-0.54x of a
 * direct download, bench/bulk.mjs on a 2-core machine), and the bytes never
 * enter this process.
 */
#ifndef __linux__
int main(void) { return 70; }
#else
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
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

#include "../srt-relay/control.h"

#define READY_FD 3
#define CONTROL_FD 4
#define BACKLOG 4096
#define PIPE_SIZE (64 * 1024)
#define DIRECT_PIPE_SIZE (1024 * 1024)
#define CHUNK (64 * 1024)
#define MAXPORTS 8
#define CONNECT_RETRY_MS 5000
#define MAXPENDING 65536
#define LOOPBACK_WAIT_MS 10000

struct listener {
  int fd;
  int port;
  struct sockaddr_un to;
  int paused;
};

/*
 * d[i] carries bytes from fd[i] to fd[1-i]. Bytes waiting for dst are in buf (written first) and
 * then in pipe. A direction is spliced (src -> pipe -> dst) or copied (recv into the shared scratch,
 * send; what dst did not take is kept in buf). Before a hand-over d[0], client -> proxy, is spliced
 * and d[1], proxy -> client, copied (see Tuning); a direct tunnel splices both (see One hop).
 */
struct dir {
  int pipe[2];    /* -1 when not spliced */
  int spliced;
  size_t inpipe;  /* bytes in the pipe */
  char *buf;      /* bytes for dst ahead of the pipe's */
  size_t off, len;
  int eof, shut;
  unsigned long long bytes, skip; /* written to dst; the first skip were srt's own (a direct tunnel's report) */
};

static char scratch[CHUNK];

struct conn {
  int fd[2]; /* 0 the TCP client in the sandbox; 1 the proxy's unix socket, or once direct the upstream */
  uint32_t want[2];
  struct dir d[2]; /* d[i]: from fd[i] to fd[1-i] */
  int dead, connected, direct, half;
  long long since; /* while connecting: when the first attempt failed */
  struct listener *l;
  struct conn *next; /* graves, or the list of connections waiting to connect */
  struct conn *all_next, **all_prevp; /* every live connection */
  struct sockaddr_un name; /* fd[1]'s autobound name, while it is the proxy's unix socket */
  socklen_t namelen;
  uint32_t id; /* srt's tunnel id, once direct */
  long long start_ms, active_ms;
};

static int ep;
static struct listener ls[MAXPORTS];
static int nls;
static struct conn *graves, *waiting, *all;
static int relay_mode; /* fd 4 is srt's control channel (relay=MS) */
static long long half_close_ms = 60000;
static int control_open;
#define CONTROL_TAG ((void *)(ls + MAXPORTS))

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

/*
 * A process by its /proc/PID directory: while the directory is open it names that one process (a
 * pid recycled after the process was reaped is another directory; reads through this one fail).
 */
static int open_proc(long pid) {
  char path[32];
  snprintf(path, sizeof path, "/proc/%ld", pid);
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) die(path);
  return fd;
}

static int open_ns(int proc, const char *kind) {
  char path[16];
  snprintf(path, sizeof path, "ns/%s", kind);
  int fd = openat(proc, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) die(path);
  return fd;
}

/* The parent pid of the process proc names, or -1 when it is gone. */
static long parent_of(int proc) {
  char buf[1024];
  int fd = openat(proc, "stat", O_RDONLY | O_CLOEXEC);
  ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
  if (fd >= 0) close(fd);
  if (n <= 0) return -1;
  buf[n] = 0;
  /* "pid (comm) state ppid ...": comm may hold anything, ')' too; it ends at the last ')'. */
  char *p = strrchr(buf, ')');
  long ppid;
  return p && sscanf(p + 1, " %*c %ld", &ppid) == 1 ? ppid : -1;
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

/*
 * bwrap reports the sandbox's pid right after clone(), before its child sets the new namespace's
 * loopback up (127.0.0.1/8 on lo, then lo up: bwrap's loopback_setup), so this process can arrive
 * first. Binding 127.0.0.1 works before anything is set up (no routing table yet) and after the
 * address's local route exists, but not in between: the kernel creates the local table and then
 * inserts the route, and a bind between the two fails with EADDRNOTAVAIL (measured: a bind spun
 * from the moment bwrap gave the pid hit that ~8 us window in 1 run in 15; this program, binding
 * once a few ms later, hit it in a loaded bench and the run was refused). bwrap brings lo up only
 * after the address is in place, so lo being up means the window is behind us. srt's own
 * timeout (bridge.ts) ends a wait that never ends sooner than this bound does.
 */
static void await_loopback(void) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) die("socket");
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strcpy(ifr.ifr_name, "lo");
  long long deadline = now_ms() + LOOPBACK_WAIT_MS;
  for (;;) {
    if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) die("the sandbox's loopback interface");
    if (ifr.ifr_flags & IFF_UP) break;
    if (now_ms() > deadline) fail("the sandbox's loopback interface did not come up");
    struct timespec ms = {.tv_sec = 0, .tv_nsec = 1000000};
    nanosleep(&ms, NULL);
  }
  close(s);
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

static size_t waiting_in(const struct dir *d) { return d->len + d->inpipe; }

static int arm(struct conn *c, int i) {
  uint32_t w = 0;
  if (!c->d[i].eof && waiting_in(&c->d[i]) == 0) w |= EPOLLIN;
  if (waiting_in(&c->d[1 - i]) > 0) w |= EPOLLOUT;
  /* The proxy's reset mark is watched even while its bytes wait for a slow client. */
  if (i == 1 && !c->direct && !c->d[1].eof) w |= EPOLLPRI;
  if (w == c->want[i]) return 0;
  struct epoll_event ev = {.events = w, .data.ptr = (void *)((uintptr_t)c | (uintptr_t)i)};
  int r = w == 0 ? epoll_ctl(ep, EPOLL_CTL_DEL, c->fd[i], NULL)
                 : epoll_ctl(ep, c->want[i] ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->fd[i], &ev);
  c->want[i] = w;
  return r;
}

static void report(uint32_t id, unsigned long long up, unsigned long long down, long long ms, const char *how) {
  char line[128];
  int n = snprintf(line, sizeof line, "%u %llu %llu %lld %s\n", id, up, down, ms, how);
  /* A failed write means srt is gone (and this process with it, PR_SET_PDEATHSIG). */
  if (n > 0 && write(1, line, (size_t)n) < 0) {
  }
}

static unsigned long long counted(const struct dir *d) { return d->bytes > d->skip ? d->bytes - d->skip : 0; }

static void finish_how(struct conn *c, int error, const char *how) {
  if (error) {
    /* A reset stays a reset: a FIN would say the bytes so far are complete. The upstream of a
     * direct tunnel is reset too, as srt-relay resets the side that did not fail. */
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    setsockopt(c->fd[0], SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    if (c->direct) setsockopt(c->fd[1], SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  }
  if (c->direct) report(c->id, counted(&c->d[0]), counted(&c->d[1]), now_ms() - c->start_ms, how);
  for (int i = 0; i < 2; i++) {
    if (c->fd[i] >= 0) close(c->fd[i]);
    if (c->d[i].pipe[0] >= 0) close(c->d[i].pipe[0]);
    if (c->d[i].pipe[1] >= 0) close(c->d[i].pipe[1]);
    free(c->d[i].buf);
  }
  if (c->all_prevp) {
    *c->all_prevp = c->all_next;
    if (c->all_next) c->all_next->all_prevp = c->all_prevp;
    c->all_prevp = NULL;
  }
  c->dead = 1;
  c->next = graves;
  graves = c;
}

static void finish(struct conn *c, int error) { finish_how(c, error, error ? "error" : "ok"); }

static int again(void) { return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR; }

/* Writes what waits in direction i (buf, then the pipe); -1 on error. */
static int flush(struct conn *c, int i) {
  struct dir *d = &c->d[i];
  int dst = c->fd[1 - i];
  while (d->len > 0) {
    ssize_t w = send(dst, d->buf + d->off, d->len, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w < 0) goto failed;
    d->off += (size_t)w;
    d->len -= (size_t)w;
    d->bytes += (unsigned long long)w;
  }
  free(d->buf);
  d->buf = NULL;
  d->off = 0;
  while (d->inpipe > 0) {
    ssize_t w = splice(d->pipe[0], NULL, dst, NULL, d->inpipe, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (w < 0) goto failed;
    d->inpipe -= (size_t)w;
    d->bytes += (unsigned long long)w;
  }
  return 0;
failed:
  if (i == 0 && !c->direct && (errno == EPIPE || errno == ECONNRESET)) {
    /* The proxy stopped reading: it has answered (a 403 before the body, say) and closed. The
     * client's further bytes have nowhere to go and are left unread, but the answer already on
     * its way back must still reach the client: only the upload ends here. */
    d->len = d->inpipe = 0;
    d->eof = d->shut = 1;
    return 0;
  }
  return again() ? 0 : -1;
}

/* 1 when the next byte to read from fd is an out-of-band mark. */
static int at_mark(int fd) {
  int at = 0;
  return ioctl(fd, SIOCATMARK, &at) == 0 && at;
}

/* At a TCP urgent mark splice() says EAGAIN for ever: one recv() (SO_OOBINLINE) takes what is
 * there, urgent byte included, into the empty pipe. Bytes moved; 0: not at a mark. */
static ssize_t pass_mark(int fd, int pipe_in) {
  if (!at_mark(fd)) return 0;
  char b[4096];
  ssize_t r = recv(fd, b, sizeof b, MSG_DONTWAIT);
  if (r <= 0) return r == 0 || errno == EAGAIN || errno == EINTR ? 0 : -1; /* EOF: the next splice says it */
  /* The pipe is empty (pump reads only then) and holds at least a page: one write takes it all. */
  return write(pipe_in, b, (size_t)r) == r ? r : -1;
}

/* Keeps n bytes for dst behind what waits in buf. */
static int keep(struct dir *d, const char *p, size_t n) {
  if (n == 0) return 0;
  char *b = malloc(d->len + n);
  if (!b) return -1;
  if (d->len) memcpy(b, d->buf + d->off, d->len);
  memcpy(b + d->len, p, n);
  free(d->buf);
  d->buf = b;
  d->off = 0;
  d->len += n;
  return 0;
}

/* Copied: read into the shared scratch buffer and written at once; only what dst does not take is
 * kept (at most CHUNK per direction, while its reader is slow). A read that got less than it asked
 * for emptied the socket: the next would only say EAGAIN (with, on the proxy's side, a SIOCATMARK
 * before it), so the loop stops there unless `drain`; epoll is level-triggered and reports bytes
 * that arrive meanwhile. A small request or response costs two system calls fewer a side. */
static int pump_copy(struct conn *c, int i, int drain) {
  struct dir *d = &c->d[i];
  for (ssize_t r = CHUNK; (drain || r == CHUNK) && !d->eof && waiting_in(d) == 0;) {
    /* The proxy's reset mark: a read now would drop it, and its EOF would look clean. */
    if (i == 1 && !c->direct && at_mark(c->fd[1])) return -1;
    r = recv(c->fd[i], scratch, CHUNK, MSG_DONTWAIT);
    if (r < 0) return again() ? 0 : -1;
    if (r == 0) {
      d->eof = 1;
      break;
    }
    c->active_ms = now_ms();
    ssize_t w = send(c->fd[1 - i], scratch, (size_t)r, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w < 0 && !again()) return -1;
    if (w < 0) w = 0;
    d->bytes += (unsigned long long)w;
    if (w < r && keep(d, scratch + w, (size_t)(r - w)) < 0) return -1;
  }
  return 0;
}

/* Spliced: the bytes never enter this process. Stops after a short read unless `drain`, as pump_copy. */
static int pump_some(struct conn *c, int i, int drain) {
  struct dir *d = &c->d[i];
  if (!d->spliced) return pump_copy(c, i, drain);
  const size_t want = c->direct ? DIRECT_PIPE_SIZE : PIPE_SIZE;
  for (ssize_t r = (ssize_t)want; (drain || r == (ssize_t)want) && !d->eof && waiting_in(d) == 0;) {
    r = splice(c->fd[i], NULL, d->pipe[1], NULL, want, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    /* Only TCP is spliced from (the client, and a direct tunnel's upstream). */
    if (r < 0 && errno == EAGAIN) {
      r = pass_mark(c->fd[i], d->pipe[1]);
      if (r <= 0) return (int)r;
    }
    if (r < 0) return again() ? 0 : -1;
    if (r == 0) {
      d->eof = 1;
      break;
    }
    c->active_ms = now_ms();
    d->inpipe = (size_t)r;
    if (flush(c, i) < 0) return -1;
  }
  return 0;
}

static int pump(struct conn *c, int i) { return pump_some(c, i, 0); }

static void settle(struct conn *c) {
  for (int i = 0; i < 2; i++) {
    struct dir *d = &c->d[i];
    if (d->eof && waiting_in(d) == 0 && !d->shut) {
      shutdown(c->fd[1 - i], SHUT_WR);
      d->shut = 1;
      if (c->direct && !c->half) {
        c->half = 1;
        c->active_ms = now_ms();
      }
    }
  }
  if (c->d[0].shut && c->d[1].shut) return finish(c, 0);
  if (arm(c, 0) < 0 || arm(c, 1) < 0) return finish(c, 1);
}

static void on_event(struct conn *c, int side, uint32_t ev) {
  if (ev & EPOLLERR) {
    /* An error on the proxy's socket (it closed with the client's bytes unread, as TCP would
     * reset) comes after what it sent: that is passed on first, then the client gets the reset. */
    if (side == 1) (void)pump_some(c, 1, 1);
    if (!c->dead) finish(c, 1);
    return;
  }
  if (waiting_in(&c->d[1 - side]) > 0) {
    if (flush(c, 1 - side) < 0) return finish(c, 1);
    if (waiting_in(&c->d[1 - side]) == 0 && pump(c, 1 - side) < 0) return finish(c, 1);
  }
  if ((ev & (EPOLLIN | EPOLLHUP | EPOLLRDHUP)) && pump(c, side) < 0) return finish(c, 1);
  /* The proxy marked its end as an error (its upstream reset): what could be passed on was. */
  if (side == 1 && !c->direct && (ev & EPOLLPRI)) return finish(c, 1);
  settle(c);
}

/* 1: connected and started; 0: the proxy's backlog is full, try again; -1: failed. */
static int try_connect(struct conn *c) {
  if (connect(c->fd[1], (struct sockaddr *)&c->l->to, sizeof c->l->to) < 0) {
    if (errno == EAGAIN || errno == EINTR) return 0;
    return -1;
  }
  c->connected = 1;
  if (pipe2(c->d[0].pipe, O_CLOEXEC | O_NONBLOCK) < 0) return -1;
  c->d[0].spliced = 1;
  fcntl(c->d[0].pipe[1], F_SETPIPE_SZ, PIPE_SIZE);
  /* What the client sent already goes on now. Not a read of the proxy's side: the proxy has not
   * even accepted this connection yet, so it cannot have written to it (epoll says when it does). */
  if (pump(c, 0) < 0) return -1;
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
    /* Autobound (an abstract name the kernel picks, unique in this network namespace while the
     * socket lives): srt's hand-over names a connection by it (One hop). */
    sa_family_t fam = AF_UNIX;
    if (u >= 0 && relay_mode && bind(u, (struct sockaddr *)&fam, sizeof fam) < 0) {
      close(u);
      u = -1;
    }
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
    c->namelen = sizeof c->name;
    if (getsockname(u, (struct sockaddr *)&c->name, &c->namelen) < 0) c->namelen = 0;
    for (int i = 0; i < 2; i++) c->d[i].pipe[0] = c->d[i].pipe[1] = -1;
    c->all_next = all;
    c->all_prevp = &all;
    if (all) all->all_prevp = &c->all_next;
    all = c;
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

/* ---- One hop: tunnels srt hands back (relay=MS) ---- */

/* The connection whose proxy-side socket is p, or NULL (see "One hop" at the top). */
static struct conn *owner_of(int p) {
  struct ucred cred;
  socklen_t len = sizeof cred;
  if (getsockopt(p, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.pid != getpid()) return NULL;
  /* Both ends shut: the peer was closed, and its name may already be another socket's. */
  struct pollfd pf = {.fd = p, .events = POLLIN};
  if (poll(&pf, 1, 0) < 0 || (pf.revents & (POLLHUP | POLLERR | POLLNVAL))) return NULL;
  struct sockaddr_un peer;
  socklen_t plen = sizeof peer;
  if (getpeername(p, (struct sockaddr *)&peer, &plen) < 0 || plen <= sizeof(sa_family_t)) return NULL;
  for (struct conn *c = all; c; c = c->all_next)
    if (c->connected && !c->direct && !c->dead && c->namelen == plen && memcmp(&c->name, &peer, plen) == 0) return c;
  return NULL;
}

/* Appends everything fd has for reading now to d's waiting bytes. 1 at EOF, 0, -1 on error. */
static int slurp(struct dir *d, int fd) {
  for (;;) {
    ssize_t r = recv(fd, scratch, CHUNK, MSG_DONTWAIT);
    if (r == 0) return 1;
    if (r < 0) return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : errno == EINTR ? 0 : -1;
    if (keep(d, scratch, (size_t)r) < 0) return -1;
  }
}

/*
 * Joins connection c's client to upstream u directly. p is the proxy's end of c's unix socket;
 * up/down are the bytes srt read from the client and from the upstream. Order, client -> upstream:
 * srt's bytes, what p has unread, what c holds from the client; upstream -> client: what c holds for
 * the client, what c's unix end has unread, srt's bytes. Both unix ends are closed.
 */
static int take_over(struct conn *c, uint32_t id, int p, const char *up, size_t nup, int u, const char *down,
                     size_t ndown) {
  struct dir *d0 = &c->d[0], *d1 = &c->d[1];
  /* Client -> upstream: d0's pipe keeps what the client sent after p's unread bytes. */
  char *held = d0->buf;
  size_t heldlen = d0->len, heldoff = d0->off;
  d0->buf = NULL;
  d0->len = d0->off = 0;
  if (keep(d0, up, nup) < 0) return free(held), -1;
  int eof = slurp(d0, p);
  if (eof < 0 || keep(d0, held ? held + heldoff : NULL, heldlen) < 0) return free(held), -1;
  free(held);
  if (d0->eof && !eof && d0->shut) return -1; /* cannot be: the FIN passed on is read after the bytes */
  d0->shut = 0;                                /* the client's FIN, if passed to p, goes to the upstream now */
  d0->bytes = d0->skip = 0;
  /* Upstream -> client: d1 (copied so far) holds what the client did not take yet. */
  if (d1->shut || d1->eof) return -1; /* srt ended its side: it hands over no such tunnel */
  if (at_mark(c->fd[1]) || slurp(d1, c->fd[1]) != 0) return -1;
  d1->bytes = 0;
  d1->skip = d1->len; /* srt's own answer (200, SOCKS reply): not the tunnel's bytes */
  if (keep(d1, down, ndown) < 0) return -1;
  /* Now the unix ends go, and the upstream takes their place. */
  if (c->want[1]) epoll_ctl(ep, EPOLL_CTL_DEL, c->fd[1], NULL);
  c->want[1] = 0;
  close(c->fd[1]);
  close(p);
  c->fd[1] = u;
  c->direct = 1;
  c->id = id;
  c->start_ms = c->active_ms = now_ms();
  fcntl(u, F_SETFL, fcntl(u, F_GETFL) | O_NONBLOCK);
  int one = 1;
  setsockopt(u, SOL_SOCKET, SO_OOBINLINE, &one, sizeof one); /* see pass_mark */
  /* Both directions spliced now: TCP to TCP, measured as fast as copying (bench/bulk.mjs) and the
   * bytes never enter this process. */
  for (int i = 0; i < 2; i++) {
    struct dir *d = &c->d[i];
    if (d->pipe[0] < 0 && pipe2(d->pipe, O_CLOEXEC | O_NONBLOCK) < 0) return -1;
    d->spliced = 1;
    fcntl(d->pipe[1], F_SETPIPE_SZ, DIRECT_PIPE_SIZE);
  }
  for (int i = 0; i < 2; i++)
    if (flush(c, i) < 0) return -1;
  for (int i = 0; i < 2; i++)
    if (waiting_in(&c->d[i]) == 0 && pump(c, i) < 0) return -1;
  settle(c);
  return 0;
}

static struct control control;
/* 'c' messages waiting for their 'u' (matched by id, as in srt-relay). */
struct half {
  uint32_t id;
  int fd;
  char *data;
  size_t n;
  struct half *next;
};
static struct half *pending;
static size_t npending;

static struct half *unpend(uint32_t id) {
  struct half **pp = &pending;
  while (*pp && (*pp)->id != id) pp = &(*pp)->next;
  struct half *h = *pp;
  if (h) {
    *pp = h->next;
    npending--;
  }
  return h;
}

/* A tunnel that is not (or no longer) one of ours ends as an error; nothing else changes. */
static void refuse(uint32_t id, int p, int u) {
  struct linger lg = {.l_onoff = 1, .l_linger = 0};
  if (u >= 0) setsockopt(u, SOL_SOCKET, SO_LINGER, &lg, sizeof lg), close(u);
  /* Its bridge (if any) turns the mark into a reset of its client (see srt-relay's reset_client). */
  if (p >= 0) (void)send(p, "!", 1, MSG_OOB | MSG_DONTWAIT | MSG_NOSIGNAL), close(p);
  report(id, 0, 0, 0, "error");
}

static void on_message(unsigned char kind, uint32_t id, const char *data, uint32_t n) {
  if (kind == 'x') {
    struct half *h = unpend(id);
    if (h) refuse(id, h->fd, -1), free(h->data), free(h);
    return;
  }
  if (kind != 'c' && kind != 'u') fail("unknown message on the control channel");
  int fd;
  if (control_take_fd(&control, &fd) < 0) fail("message without a descriptor");
  if (fd >= 0) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  if (kind == 'c') {
    for (struct half *p = pending; p; p = p->next)
      if (p->id == id) fail("two client messages for one tunnel");
    if (npending == MAXPENDING) fail("too many tunnels waiting for their upstream");
    struct half *h = calloc(1, sizeof *h);
    if (!h || (n > 0 && !(h->data = malloc(n)))) fail("out of memory");
    if (n > 0) memcpy(h->data, data, n);
    h->id = id;
    h->fd = fd;
    h->n = n;
    h->next = pending;
    pending = h;
    npending++;
    return;
  }
  struct half *h = unpend(id);
  if (!h) return refuse(id, -1, fd); /* srt failed to send its 'c' */
  struct conn *c = fd < 0 ? NULL : owner_of(h->fd);
  if (!c) {
    refuse(id, h->fd, fd);
  } else if (take_over(c, id, h->fd, h->data, h->n, fd, data, n) < 0) {
    /* Failed (out of memory or descriptors, a socket in error): the tunnel ends as an error. */
    if (!c->direct) refuse(id, h->fd, fd);
    if (!c->dead) finish(c, 1);
  }
  free(h->data);
  free(h);
}

static void on_control(void) {
  int status = control_read(CONTROL_FD, &control, on_message);
  if (status < 0) fail(control_error(status));
  if (status == CONTROL_END) {
    /* srt stopped handing tunnels over: the ones held go on, and so does bridging. */
    epoll_ctl(ep, EPOLL_CTL_DEL, CONTROL_FD, NULL);
    close(CONTROL_FD);
    control_open = 0;
  }
}

/* A direct tunnel lives after its first FIN only while bytes move (srt-relay's rule). */
static void sweep(void) {
  long long now = now_ms();
  for (struct conn *c = all, *next; c; c = next) {
    next = c->all_next;
    if (c->direct && c->half && now - c->active_ms >= half_close_ms) finish_how(c, 0, "idle");
  }
}

int main(int argc, char **argv) {
  int first = 4;
  long bwrap = 0;
  for (; first < argc; first++) {
    char *end;
    if (strncmp(argv[first], "relay=", 6) == 0) {
      half_close_ms = strtoll(argv[first] + 6, &end, 10);
      if (*end || half_close_ms <= 0) fail("relay=MS: MS is the idle time after a half-close");
      relay_mode = 1;
    } else if (strncmp(argv[first], "child-of=", 9) == 0) {
      bwrap = strtol(argv[first] + 9, &end, 10);
      if (*end || bwrap <= 0) fail("child-of=PID: PID is bwrap's");
    } else {
      break;
    }
  }
  if (argc <= first || argc - first > MAXPORTS)
    fail("usage: srt-bridge PARENT_PID SANDBOX_PID USERNS(0|1) [relay=MS] [child-of=PID] PORT=SOCKET...");
  pid_t parent = (pid_t)atol(argv[1]);
  char *end;
  long sandbox = strtol(argv[2], &end, 10);
  if (*end || sandbox <= 0) fail("SANDBOX_PID is a pid");
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) die("pdeathsig");
  if (getppid() != parent) fail("srt, its parent, is gone");
  signal(SIGPIPE, SIG_IGN);
  if (fcntl(READY_FD, F_GETFD) < 0) fail("fd 3 is not the readiness pipe");
  if (relay_mode) {
    int type = 0;
    socklen_t tl = sizeof type;
    if (getsockopt(CONTROL_FD, SOL_SOCKET, SO_TYPE, &type, &tl) < 0 || type != SOCK_STREAM)
      fail("relay=MS: fd 4 is not srt's control channel");
    fcntl(CONTROL_FD, F_SETFD, FD_CLOEXEC);
  }
  for (int i = first; i < argc; i++) {
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
  /* Namespaces: both opened, from the one process, before either is entered. */
  int proc = open_proc(sandbox);
  int userns = strcmp(argv[3], "1") == 0 ? open_ns(proc, "user") : -1;
  int netns = open_ns(proc, "net");
  if (bwrap > 0) {
    /*
     * Whose they are, checked after they were opened ("SANDBOX_PID" at the top): the process was
     * then still bwrap's child, and bwrap srt's. A sandbox process that ended before this point
     * fails here, also when its pid already names another process, in another sandbox's
     * namespaces, which would otherwise get this run's listeners and proxies.
     */
    if (parent_of(proc) != bwrap) fail("the sandbox's process is gone (it is not bwrap's child)");
    int b = open_proc(bwrap);
    if (parent_of(b) != (long)parent) fail("bwrap is not srt's child");
    close(b);
  }
  close(proc);
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
  await_loopback();
  for (int i = 0; i < nls; i++) listen_on(&ls[i]);
  if (relay_mode) {
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = CONTROL_TAG};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, CONTROL_FD, &ev) < 0) die("epoll_ctl");
    control_open = 1;
  }
  drop_privileges();
  if (getppid() != parent) fail("srt, its parent, is gone");
  if (write(READY_FD, "ready\n", 6) != 6) die("writing to the readiness pipe");
  close(READY_FD);
  struct epoll_event evs[64];
  long long last_sweep = now_ms();
  for (;;) {
    int paused = 0;
    for (int i = 0; i < nls; i++) paused |= ls[i].paused;
    int n = epoll_wait(ep, evs, 64, waiting || paused ? 10 : relay_mode ? 1000 : -1);
    if (n < 0 && errno != EINTR) die("epoll_wait");
    for (int k = 0; k < n; k++) {
      void *p = evs[k].data.ptr;
      if (p == CONTROL_TAG) {
        if (control_open) on_control();
        continue;
      }
      if (is_listener(p)) {
        on_accept(p);
        continue;
      }
      uintptr_t v = (uintptr_t)p;
      struct conn *c = (struct conn *)(v & ~(uintptr_t)1);
      if (!c->dead) on_event(c, (int)(v & 1), evs[k].events);
    }
    if (relay_mode && now_ms() - last_sweep >= 1000) {
      sweep();
      last_sweep = now_ms();
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
