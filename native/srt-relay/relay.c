/*
 * srt-relay: copies the bytes of proxy tunnels that srt's proxy has already
 * decided and dialled, so bulk transfers do not pass through Node's event loop.
 *
 * Threat model. This program runs OUTSIDE the sandbox with srt's own
 * privileges, as a child of the srt process. Its only command input is fd 3,
 * one end of a socketpair that srt created when it spawned us; nothing inside
 * a sandbox holds or can reach it (it has no name in the file system). The
 * sandboxed side can only send bytes on tunnels, which are copied and never
 * parsed, so nothing it sends changes what this program does. It makes no
 * policy decision and opens nothing: it only owns descriptors srt hands it.
 * Memory is bounded: at most one partial write per direction is kept.
 *
 * Protocol on fd 3 (srt -> relay): messages of a 9-byte header
 *   u8 kind ('c' client, 'u' upstream, 'x' abort or 'r' reset), u32 id, u32 n (little endian)
 * followed by n bytes already read by srt from the OTHER side of the tunnel
 * (to be written to this message's socket's peer, i.e. 'c' carries bytes for
 * the upstream). 'c' and 'u' carry exactly one descriptor each (SCM_RIGHTS,
 * sent with the message's first byte, so descriptors arrive in message order);
 * 'c' then 'u' with one id make one tunnel. Either may be lost on srt's side
 * (its write failed): a 'u' without its 'c' is closed at once, and srt sends
 * 'x' (no descriptor) for a 'c' whose 'u' failed. A descriptor the kernel
 * dropped on its way in (this process out of descriptors: MSG_CTRUNC) loses
 * its message's half the same way. Such a tunnel is reported "error" and
 * nothing else changes: only a broken channel ends the relay.
 * Reports on stdout (relay -> srt), one line per finished tunnel:
 *   "<id> <bytes client->upstream> <bytes upstream->client> <ms> <ok|error>\n"
 * 'r' (n 0, one descriptor, id unused, no report) is a client connection srt's own
 * code gave up on (a plain-HTTP response cut mid-body, a tunnel Node copied): the
 * relay ends it as a reset (reset_client below) and closes it.
 * EOF on fd 3 (srt exited or stopped the relay) closes every tunnel and exits.
 *
 * Resets and unix sockets. A sandboxed client reaches srt through srt-bridge,
 * which joins its TCP connection to a unix socket, and a unix stream has no
 * reset. So the end of a client's unix socket that must look like an error is
 * marked with one out-of-band byte (MSG_OOB, Linux 5.15+): srt-bridge
 * watches for it (EPOLLPRI, SIOCATMARK) and resets the TCP connection in the
 * sandbox. Only the client side is marked: it is the side that did not fail.
 *
 * Half-close: a FIN read on one side is passed on as shutdown(SHUT_WR) once
 * what is pending for the other side is written; a tunnel ends when both
 * directions ended, or at once on an error (reset), which reaches the other
 * side as a reset (SO_LINGER 0, or the mark above), not as a clean end.
 *
 * Urgent data: splice() from a TCP socket stops before an urgent byte and
 * returns EAGAIN from then on, while epoll keeps saying readable, so a peer
 * sending MSG_OOB would stall its tunnel and spin this loop. Sockets are
 * read with SO_OOBINLINE, and at the urgent mark one recv() takes the bytes
 * through it (pass_mark). After the first FIN a
 * tunnel lives only while bytes move: argv[1] ms of silence ends it (the
 * same rule as srt's Node relay, src/runtime/proxy/splice.ts).
 */
#ifndef __linux__
/* epoll and splice are Linux's; srt uses this relay only on Linux (macOS copies tunnels in Node). */
int main(void) { return 70; }
#else
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "control.h"

#define CONTROL_FD 3
#define SCRATCH (1 << 20)

struct dir {
  char *pend; /* bytes read from src not yet written to dst (copy mode, and srt's buffered bytes) */
  size_t len, off; /* len: bytes waiting for dst, in pend or (splice mode) in the pipe */
  int pipe[2];     /* splice mode: src -> pipe -> dst; -1 when unused */
  size_t inpipe;
  int eof;  /* FIN read from src */
  int shut; /* shutdown(dst, SHUT_WR) done */
  unsigned long long bytes;
};

struct tunnel {
  uint32_t id;
  int fd[2];        /* 0 client, 1 upstream */
  uint32_t want[2]; /* events registered for fd[i]; 0 = not registered */
  struct dir d[2];  /* d[i]: from fd[i] to fd[1-i] */
  long long start_ms, active_ms;
  int half, dead;
  struct tunnel *next, **prevp;
  struct tunnel *pending_next; /* while it waits for its 'u' message */
};

/* epoll data: pointer to tunnel, low bit = side. Control fd uses NULL. */
static int ep;
static struct tunnel *tunnels;
static struct tunnel *graves; /* finished in this batch of events; freed after it */
static char *scratch;
static long long half_close_ms = 60000;
static int use_splice = 1;

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void report(struct tunnel *t, const char *how) {
  char line[128];
  int n = snprintf(line, sizeof line, "%u %llu %llu %lld %s\n", t->id, t->d[0].bytes, t->d[1].bytes,
                   now_ms() - t->start_ms, how);
  /* A short or failed write means srt is gone; fd 3's EOF ends us then. */
  if (n > 0 && write(1, line, (size_t)n) < 0) {
  }
}

/*
 * Makes the coming close() of a client's socket a reset. TCP: SO_LINGER 0 (close sends RST).
 * A unix socket (srt-bridge's): one out-of-band byte, which srt-bridge turns into a reset of its
 * TCP connection. The byte needs room in the socket's send buffer, which is full when the client
 * reads slower than its upstream sent; the buffer is then doubled once (bounded by
 * net.core.wmem_max) to make that room. A kernel without AF_UNIX MSG_OOB (CONFIG_AF_UNIX_OOB)
 * refuses the byte: the close is then a clean end, as it was before.
 */
static void reset_client(int fd) {
  int domain = 0;
  socklen_t len = sizeof domain;
  if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0) return;
  if (domain != AF_UNIX) {
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    return;
  }
  if (send(fd, "!", 1, MSG_OOB | MSG_DONTWAIT | MSG_NOSIGNAL) == 1 || errno != EAGAIN) return;
  int size = 0;
  len = sizeof size;
  if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, &len) < 0) return;
  /* The kernel doubles what it is given: giving it the current size doubles the buffer. */
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size) == 0 &&
      send(fd, "!", 1, MSG_OOB | MSG_DONTWAIT | MSG_NOSIGNAL) == 1)
    return;
}

static void finish(struct tunnel *t, const char *how) {
  /* An error on one side (a reset, mostly) is passed on as a reset: a FIN would tell the other
   * peer that what it got is complete. SO_LINGER 0 makes close() send RST on TCP; a unix client
   * (the sandbox's bridge) is marked instead (reset_client). */
  int abort = strcmp(how, "error") == 0;
  for (int i = 0; i < 2; i++) {
    if (abort && i == 0)
      reset_client(t->fd[0]);
    else if (abort) {
      struct linger lg = {.l_onoff = 1, .l_linger = 0};
      setsockopt(t->fd[i], SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    }
    /* Removed from the epoll set by hand: close() removes it only when no other descriptor
     * refers to the same open socket, and srt's own copy may still be open for a moment after
     * the hand-over. Left registered, its next event would name this tunnel after it is freed. */
    if (t->want[i]) epoll_ctl(ep, EPOLL_CTL_DEL, t->fd[i], NULL);
    t->want[i] = 0;
    close(t->fd[i]);
    free(t->d[i].pend);
    if (t->d[i].pipe[0] >= 0) close(t->d[i].pipe[0]);
    if (t->d[i].pipe[1] >= 0) close(t->d[i].pipe[1]);
  }
  report(t, how);
  *t->prevp = t->next;
  if (t->next) t->next->prevp = t->prevp;
  t->dead = 1;
  t->next = graves;
  graves = t;
}

static int arm(struct tunnel *t, int i) {
  uint32_t w = 0;
  if (!t->d[i].eof && t->d[i].len == 0) w |= EPOLLIN;
  if (t->d[1 - i].len > 0) w |= EPOLLOUT;
  if (w == t->want[i]) return 0;
  struct epoll_event ev = {.events = w, .data.ptr = (void *)((uintptr_t)t | (uintptr_t)i)};
  int r = w == 0 ? epoll_ctl(ep, EPOLL_CTL_DEL, t->fd[i], NULL)
                 : epoll_ctl(ep, t->want[i] ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, t->fd[i], &ev);
  t->want[i] = w;
  return r;
}

/* Writes what is pending in direction i; -1 on error. */
static int flush(struct tunnel *t, int i) {
  struct dir *d = &t->d[i];
  while (d->pend != NULL && d->len > 0) {
    ssize_t w = send(t->fd[1 - i], d->pend + d->off, d->len, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
    d->off += (size_t)w;
    d->len -= (size_t)w;
    d->bytes += (unsigned long long)w;
  }
  free(d->pend);
  d->pend = NULL;
  d->off = 0;
  while (d->inpipe > 0) {
    ssize_t w = splice(d->pipe[0], NULL, t->fd[1 - i], NULL, d->inpipe, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;
      d->len = d->inpipe;
      return 0;
    }
    d->inpipe -= (size_t)w;
    d->bytes += (unsigned long long)w;
  }
  d->len = 0;
  return 0;
}

/* At a TCP urgent mark splice() says EAGAIN for ever: one recv() (SO_OOBINLINE) takes what is
 * there, urgent byte included, into the empty pipe. Bytes moved; 0: not at a mark; -1: error. */
static ssize_t pass_mark(int fd, int pipe_in) {
  int at = 0;
  if (ioctl(fd, SIOCATMARK, &at) < 0 || !at) return 0;
  char b[4096];
  ssize_t r = recv(fd, b, sizeof b, MSG_DONTWAIT);
  if (r <= 0) return r == 0 || errno == EAGAIN || errno == EINTR ? 0 : -1; /* EOF: the next splice says it */
  /* The pipe is empty (callers pump only then) and holds at least a page: one write takes it all. */
  return write(pipe_in, b, (size_t)r) == r ? r : -1;
}

/* Splice mode: socket -> pipe -> socket, the bytes never enter this process. */
static int pump_splice(struct tunnel *t, int i) {
  struct dir *d = &t->d[i];
  while (!d->eof && d->len == 0) {
    ssize_t r = splice(t->fd[i], NULL, d->pipe[1], NULL, SCRATCH, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (r < 0 && errno == EAGAIN) {
      r = pass_mark(t->fd[i], d->pipe[1]);
      if (r <= 0) return (int)r;
    }
    if (r < 0) return errno == EINTR ? 0 : -1;
    if (r == 0) {
      d->eof = 1;
      break;
    }
    t->active_ms = now_ms();
    d->inpipe = (size_t)r;
    if (flush(t, i) < 0) return -1;
  }
  return 0;
}

static int queue(struct dir *d, const char *p, size_t n) {
  d->pend = malloc(n);
  if (!d->pend) return -1;
  memcpy(d->pend, p, n);
  d->len = n;
  d->off = 0;
  return 0;
}

/* Copies from fd[i] to fd[1-i] until either would block; -1 on error. */
static int pump(struct tunnel *t, int i) {
  struct dir *d = &t->d[i];
  if (use_splice) return pump_splice(t, i);
  while (!d->eof && d->len == 0) {
    ssize_t r = recv(t->fd[i], scratch, SCRATCH, MSG_DONTWAIT);
    if (r < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
    if (r == 0) {
      d->eof = 1;
      break;
    }
    t->active_ms = now_ms();
    size_t off = 0;
    while (off < (size_t)r) {
      ssize_t w = send(t->fd[1 - i], scratch + off, (size_t)r - off, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (w < 0) {
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;
        if (queue(d, scratch + off, (size_t)r - off) < 0) return -1;
        break;
      }
      off += (size_t)w;
      d->bytes += (unsigned long long)w;
    }
  }
  return 0;
}

/* After progress on either side: pass FINs on, end or re-arm. 1 = tunnel gone. */
static int settle(struct tunnel *t) {
  for (int i = 0; i < 2; i++) {
    struct dir *d = &t->d[i];
    if (d->eof && d->len == 0 && !d->shut) {
      /* ENOTCONN: the peer is already gone; the other direction will see it. */
      shutdown(t->fd[1 - i], SHUT_WR);
      d->shut = 1;
      if (!t->half) {
        t->half = 1;
        t->active_ms = now_ms();
      }
    }
  }
  if (t->dead) return 1;
  if (t->d[0].shut && t->d[1].shut) {
    finish(t, "ok");
    return 1;
  }
  if (arm(t, 0) < 0 || arm(t, 1) < 0) {
    finish(t, "error");
    return 1;
  }
  return 0;
}

static void on_event(struct tunnel *t, int side, uint32_t ev) {
  if (ev & EPOLLERR) return finish(t, "error");
  /* Writable: drain what waits for this side. Readable/hup: read this side. */
  if (t->d[1 - side].len > 0) {
    if (flush(t, 1 - side) < 0) return finish(t, "error");
    if (t->d[1 - side].len == 0 && pump(t, 1 - side) < 0) return finish(t, "error");
  }
  if (ev & (EPOLLIN | EPOLLHUP | EPOLLRDHUP)) {
    if (pump(t, side) < 0) return finish(t, "error");
  }
  settle(t);
}

/* ---- control channel ---- */
static struct control control;
/* Tunnels that got their 'c' and wait for their 'u'. srt hands tunnels over concurrently, so the
 * 'c' of one tunnel may be followed by the 'c' of another before the first one's 'u': a 'u' is
 * matched by its id. Bounded: srt never has more hand-overs in flight than open tunnels. */
static struct tunnel *pending;
static size_t npending;
#define MAXPENDING 65536

static void die(const char *why) {
  fprintf(stderr, "srt-relay: %s\n", why);
  exit(70);
}

/* Closes a tunnel that never started (its other half or its pipes are missing). */
static void abandon(struct tunnel *t) {
  struct dir *d = t->d;
  for (int i = 0; i < 2; i++) {
    if (t->fd[i] >= 0) close(t->fd[i]);
    free(d[i].pend);
  }
  report(t, "error");
  free(t);
}

static void start(struct tunnel *t) {
  for (int i = 0; i < 2 && use_splice; i++) {
    /* EMFILE here fails this tunnel only. */
    if (pipe2(t->d[i].pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
      for (int j = 0; j < i; j++) close(t->d[j].pipe[0]), close(t->d[j].pipe[1]);
      return abandon(t);
    }
    /* One large read per wakeup; the pages are used only while bytes wait. */
    fcntl(t->d[i].pipe[1], F_SETPIPE_SZ, SCRATCH);
  }
  t->start_ms = t->active_ms = now_ms();
  t->next = tunnels;
  t->prevp = &tunnels;
  if (tunnels) tunnels->prevp = &t->next;
  tunnels = t;
  /* Bytes srt already read go first; then both sides are read. */
  for (int i = 0; i < 2; i++)
    if (flush(t, i) < 0) return finish(t, "error");
  for (int i = 0; i < 2; i++)
    if (t->d[i].len == 0 && pump(t, i) < 0) return finish(t, "error");
  settle(t);
}

static struct tunnel *unpend(uint32_t id) {
  struct tunnel **pp = &pending;
  while (*pp && (*pp)->id != id) pp = &(*pp)->pending_next;
  struct tunnel *t = *pp;
  if (t) {
    *pp = t->pending_next;
    t->pending_next = NULL;
    npending--;
  }
  return t;
}

static void on_message(unsigned char kind, uint32_t id, const char *data, uint32_t n) {
  if (kind == 'x') {
    struct tunnel *t = unpend(id);
    if (t) abandon(t);
    return;
  }
  if (kind != 'c' && kind != 'u' && kind != 'r') die("unknown message");
  int fd;
  if (control_take_fd(&control, &fd) < 0) die("message without a descriptor");
  if (fd >= 0) {
    /* A descriptor that is not a socket (fcntl fails only on a bad fd) is caught by the first read. */
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    int one = 1;
    if (kind != 'r') setsockopt(fd, SOL_SOCKET, SO_OOBINLINE, &one, sizeof one); /* "Urgent data" */
  }
  if (kind == 'r') {
    if (fd >= 0) reset_client(fd), close(fd);
    return;
  }
  if (kind == 'c') {
    for (struct tunnel *p = pending; p; p = p->pending_next)
      if (p->id == id) die("two client messages for one tunnel");
    if (npending == MAXPENDING) die("too many tunnels waiting for their upstream");
    struct tunnel *b = calloc(1, sizeof *b);
    if (!b) die("out of memory");
    b->id = id;
    b->start_ms = now_ms();
    b->fd[0] = fd;
    b->fd[1] = -1;
    for (int i = 0; i < 2; i++) b->d[i].pipe[0] = b->d[i].pipe[1] = -1;
    /* 'c' carries bytes read from the client, for the upstream: direction 0. */
    if (n > 0 && queue(&b->d[0], data, n) < 0) die("out of memory");
    b->pending_next = pending;
    pending = b;
    npending++;
  } else {
    struct tunnel *t = unpend(id);
    if (!t) {
      /* srt failed to send its 'c': this half is closed, and the client's socket is closed by srt. */
      struct tunnel lone = {.id = id, .fd = {-1, fd}, .start_ms = now_ms()};
      report(&lone, "error");
      if (fd >= 0) close(fd);
      return;
    }
    t->fd[1] = fd;
    /* Either half dropped for want of descriptors (on_control): the tunnel ends as an error, its
     * client's close a reset, as when an upstream fails. */
    if (t->fd[0] < 0 || fd < 0) {
      if (t->fd[0] >= 0) reset_client(t->fd[0]);
      return abandon(t);
    }
    if (n > 0 && queue(&t->d[1], data, n) < 0) die("out of memory");
    start(t);
  }
}

static void on_control(void) {
  int status = control_read(CONTROL_FD, &control, on_message);
  if (status == CONTROL_END) exit(0); /* srt closed the channel: every tunnel closes with us */
  if (status < 0) die(control_error(status));
}

static void sweep(void) {
  long long now = now_ms();
  for (struct tunnel *t = tunnels, *next; t; t = next) {
    next = t->next;
    if (t->half && now - t->active_ms >= half_close_ms) finish(t, "idle");
  }
}

int main(int argc, char **argv) {
  if (argc > 1) half_close_ms = atoll(argv[1]);
  if (half_close_ms <= 0) half_close_ms = 60000;
  if (argc > 2 && strcmp(argv[2], "copy") == 0) use_splice = 0;
  signal(SIGPIPE, SIG_IGN);
  /* Each tunnel holds 6 descriptors (2 sockets, 2 pipes); use all the hard limit allows, as Node does. */
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  scratch = malloc(SCRATCH);
  ep = epoll_create1(EPOLL_CLOEXEC);
  if (!scratch || ep < 0) die("cannot start");
  struct epoll_event cev = {.events = EPOLLIN, .data.ptr = NULL};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, CONTROL_FD, &cev) < 0) die("fd 3 is not the control channel");
  long long last_sweep = now_ms();
  struct epoll_event evs[64];
  for (;;) {
    int n = epoll_wait(ep, evs, 64, 1000);
    if (n < 0 && errno != EINTR) die("epoll_wait failed");
    for (int k = 0; k < n; k++) {
      if (evs[k].data.ptr == NULL) {
        on_control();
        continue;
      }
      uintptr_t v = (uintptr_t)evs[k].data.ptr;
      struct tunnel *t = (struct tunnel *)(v & ~(uintptr_t)1);
      int side = (int)(v & 1);
      /* A tunnel finished earlier in this batch may still have an event queued. */
      if (!t->dead) on_event(t, side, evs[k].events);
    }
    while (graves) {
      struct tunnel *g = graves;
      graves = g->next;
      free(g);
    }
    long long now = now_ms();
    if (now - last_sweep >= 1000) {
      sweep();
      last_sweep = now;
    }
  }
}
#endif
