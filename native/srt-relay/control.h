/*
 * The reading side of srt's control channel: srt -> srt-relay (relay.c, whose header says the
 * protocol), and the same frames srt -> srt-bridge in relay mode (native/srt-bridge/bridge.c,
 * "One hop"). One reader for both, so that both treat a dropped descriptor, a frame too large
 * and a full descriptor queue alike.
 *
 * Threat model: the channel is one end of a socketpair srt made when it spawned the program;
 * only srt writes it. The checks here keep a bug in srt (or a frame cut by a dying srt) from
 * becoming memory corruption: a frame is never longer than the buffer, and descriptors never
 * overflow their queue.
 *
 * Descriptors: srt sends each frame's descriptor with that frame's first byte, one per write.
 * The kernel never passes more than one write's descriptors to one recvmsg, and when this
 * process is out of descriptors it drops them (MSG_CTRUNC): the frame then gets -1 in the
 * queue, so that frames and descriptors stay paired and only that frame's tunnel fails.
 */
#ifndef SRT_CONTROL_H
#define SRT_CONTROL_H

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

#define CONTROL_HEADER 9
#define CONTROL_MAXFRAME (1 << 20)
#define CONTROL_MAXFDQ 64

struct control {
  char buf[CONTROL_HEADER + CONTROL_MAXFRAME];
  size_t len;
  int fdq[CONTROL_MAXFDQ];
  int nfdq;
};

typedef void control_handler(unsigned char kind, uint32_t id, const char *data, uint32_t n);

enum control_status {
  CONTROL_AGAIN = 1,      /* nothing more to read now */
  CONTROL_END = 0,        /* srt closed the channel, or it broke */
  CONTROL_FDQ_FULL = -1,  /* more descriptors than frames can use: srt is broken */
  CONTROL_TOO_LARGE = -2, /* a frame longer than CONTROL_MAXFRAME: srt is broken */
};

static inline const char *control_error(int status) {
  return status == CONTROL_FDQ_FULL ? "descriptor queue full" : "message too large";
}

static inline uint32_t control_le32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Reads all fd has now and hands each whole frame to on_message, in order. */
static inline int control_read(int fd, struct control *c, control_handler *on_message) {
  for (;;) {
    char cm[CMSG_SPACE(sizeof(int) * CONTROL_MAXFDQ)];
    struct iovec iov = {.iov_base = c->buf + c->len, .iov_len = sizeof c->buf - c->len};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm, .msg_controllen = sizeof cm};
    ssize_t r = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return CONTROL_AGAIN;
    if (r <= 0) return CONTROL_END;
    size_t got = 0;
    for (struct cmsghdr *m = CMSG_FIRSTHDR(&mh); m; m = CMSG_NXTHDR(&mh, m)) {
      if (m->cmsg_level != SOL_SOCKET || m->cmsg_type != SCM_RIGHTS) continue;
      size_t k = (m->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (size_t j = 0; j < k; j++, got++) {
        if (c->nfdq == CONTROL_MAXFDQ) return CONTROL_FDQ_FULL;
        memcpy(&c->fdq[c->nfdq++], CMSG_DATA(m) + j * sizeof(int), sizeof(int));
      }
    }
    if ((mh.msg_flags & MSG_CTRUNC) && got == 0) {
      if (c->nfdq == CONTROL_MAXFDQ) return CONTROL_FDQ_FULL;
      c->fdq[c->nfdq++] = -1;
    }
    c->len += (size_t)r;
    size_t off = 0;
    while (c->len - off >= CONTROL_HEADER) {
      const unsigned char *h = (const unsigned char *)c->buf + off;
      uint32_t n = control_le32(h + 5);
      if (n > CONTROL_MAXFRAME) return CONTROL_TOO_LARGE;
      if (c->len - off < CONTROL_HEADER + (size_t)n) break;
      on_message(h[0], control_le32(h + 1), c->buf + off + CONTROL_HEADER, n);
      off += CONTROL_HEADER + n;
    }
    memmove(c->buf, c->buf + off, c->len - off);
    c->len -= off;
  }
}

/* The next frame's descriptor (-1: the kernel dropped it); 0, or -1 when none is queued. */
static inline int control_take_fd(struct control *c, int *fd) {
  if (c->nfdq == 0) return -1;
  *fd = c->fdq[0];
  memmove(c->fdq, c->fdq + 1, (size_t)--c->nfdq * sizeof *c->fdq);
  return 0;
}

#endif
