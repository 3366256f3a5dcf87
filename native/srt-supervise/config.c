/* Reads the supervisor's configuration from the pipe (or, --connect, the socket) srt writes it
 * to (never a file: nothing can rewrite it between srt writing and us reading). The format is
 * NUL-terminated fields:
 *
 *   "srt-supervise-1"                          version
 *   "bpf" <decimal length> <length raw bytes>  the seccomp program (struct sock_filter[])
 *   "name"   <rule> <name>                     refused at any depth below a writable root
 *   "gitdir" <rule> <name>                     refused directly inside a git directory
 *   "path"   <rule> <absolute path>            refused there and below
 *   "root"   <absolute path>                   a writable root
 *   "bound"  <absolute path>                   a writable root srt bound as a mount of its own
 *   "rootid" <dev>:<ino> <absolute path>       the directory that root must be (srt found it so)
 *   "socket" <absolute path>                   a unix socket the command may connect to
 *   "unix-scoped"                              connect() on AF_UNIX is decided here
 *   "landlock"                                 apply the Landlock write wall
 *   "end"
 *
 * Anything else, or a missing "end", is an error: a truncated configuration must not run the
 * command with fewer protections. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "supervise.h"

static char *slurp(int fd, size_t *len) {
  size_t cap = 65536, n = 0;
  char *buf = malloc(cap);
  if (buf == NULL) return NULL;
  for (;;) {
    if (n == cap) {
      if (cap > (64u << 20)) { free(buf); errno = EFBIG; return NULL; }
      char *b = realloc(buf, cap * 2);
      if (b == NULL) { free(buf); return NULL; }
      buf = b;
      cap *= 2;
    }
    ssize_t r = read(fd, buf + n, cap - n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) { free(buf); return NULL; }
    if (r == 0) break;
    n += (size_t)r;
  }
  *len = n;
  return buf;
}

/* The next NUL-terminated field at *pos, or NULL at the end / without a terminator. */
static const char *field(const char *buf, size_t len, size_t *pos) {
  if (*pos >= len) return NULL;
  const char *s = buf + *pos;
  const char *z = memchr(s, 0, len - *pos);
  if (z == NULL) return NULL;
  *pos += (size_t)(z - s) + 1;
  return s;
}

static int add(struct config *cfg, enum entry_kind kind, const char *rule, const char *value) {
  if (cfg->n >= MAX_ENTRIES || value == NULL || rule == NULL) return -1;
  if (kind != E_NAME && kind != E_GITDIR && value[0] != '/') return -1;
  cfg->entries[cfg->n++] = (struct entry){kind, rule, value};
  return 0;
}

int read_config(int fd, struct config *cfg) {
  size_t len = 0, pos = 0;
  char *buf = slurp(fd, &len);
  if (buf == NULL) return -1;
  memset(cfg, 0, sizeof *cfg);
  const char *v = field(buf, len, &pos);
  if (v == NULL || strcmp(v, "srt-supervise-1") != 0) return -1;
  for (;;) {
    const char *k = field(buf, len, &pos);
    if (k == NULL) return -1;
    if (strcmp(k, "end") == 0) return cfg->bpf == NULL ? -1 : 0;
    if (strcmp(k, "bpf") == 0) {
      const char *l = field(buf, len, &pos);
      if (l == NULL) return -1;
      char *e;
      unsigned long n = strtoul(l, &e, 10);
      if (*e != 0 || n == 0 || n % 8 != 0 || n > len - pos) return -1;
      cfg->bpf = (const unsigned char *)buf + pos;
      cfg->bpf_len = n;
      pos += n;
    } else if (strcmp(k, "name") == 0 || strcmp(k, "gitdir") == 0 || strcmp(k, "path") == 0 ||
               strcmp(k, "rootid") == 0) {
      const char *rule = field(buf, len, &pos);
      const char *value = field(buf, len, &pos);
      enum entry_kind kind = k[0] == 'n' ? E_NAME : k[0] == 'g' ? E_GITDIR : k[1] == 'a' ? E_PATH : E_ROOTID;
      if (add(cfg, kind, rule, value) != 0) return -1;
    } else if (strcmp(k, "root") == 0 || strcmp(k, "socket") == 0 || strcmp(k, "bound") == 0) {
      const char *value = field(buf, len, &pos);
      if (add(cfg, k[0] == 'r' ? E_ROOT : k[0] == 's' ? E_SOCKET : E_BOUND, "", value) != 0) return -1;
    } else if (strcmp(k, "unix-scoped") == 0) {
      cfg->unix_scoped = 1;
    } else if (strcmp(k, "landlock") == 0) {
      cfg->landlock = 1;
    } else {
      return -1;
    }
  }
}
