/* Landlock, the second wall: even if a mount of the plan were missing or wrong, the command (and
 * this supervisor, which performs its creating calls) can write only beneath the writable roots,
 * the private temp directory (a root too), /dev (null, tty, pts) and /proc (its own knobs; the
 * mounts keep /proc/sys read-only). The structs are spelled out here: the build machine's headers
 * may predate the fields (truncate, scopes) the running kernel has. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "supervise.h"

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule 445
#define SYS_landlock_restrict_self 446
#endif

struct ll_ruleset_attr {
  uint64_t handled_access_fs;
  uint64_t handled_access_net;
  uint64_t scoped;
};

struct ll_path_beneath {
  uint64_t allowed_access;
  int32_t parent_fd;
} __attribute__((packed));

#define LL_VERSION (1U << 0)
#define LL_RULE_PATH_BENEATH 1
#define FS_WRITE_FILE (1ULL << 1)
#define FS_REMOVE_DIR (1ULL << 4)
#define FS_REMOVE_FILE (1ULL << 5)
#define FS_MAKE_CHAR (1ULL << 6)
#define FS_MAKE_DIR (1ULL << 7)
#define FS_MAKE_REG (1ULL << 8)
#define FS_MAKE_SOCK (1ULL << 9)
#define FS_MAKE_FIFO (1ULL << 10)
#define FS_MAKE_BLOCK (1ULL << 11)
#define FS_MAKE_SYM (1ULL << 12)
#define FS_REFER (1ULL << 13)
#define FS_TRUNCATE (1ULL << 14)
#define SCOPE_ABSTRACT_UNIX (1ULL << 0)
#define SCOPE_SIGNAL (1ULL << 1)

int landlock_abi(void) {
  long v = syscall(SYS_landlock_create_ruleset, NULL, 0, LL_VERSION);
  return v < 0 ? 0 : (int)v;
}

static uint64_t write_rights(int abi) {
  uint64_t r = FS_WRITE_FILE | FS_REMOVE_DIR | FS_REMOVE_FILE | FS_MAKE_CHAR | FS_MAKE_DIR | FS_MAKE_REG |
               FS_MAKE_SOCK | FS_MAKE_FIFO | FS_MAKE_BLOCK | FS_MAKE_SYM | FS_REFER;
  if (abi >= 3) r |= FS_TRUNCATE;
  return r;
}

/* A root is opened without following any link (roots.c found none a moment ago: one planted since
 * must not widen the wall); /dev, /proc and the caller's /proc/self/fd/N are opened as named. */
static int allow_beneath(int ruleset, const char *path, uint64_t rights, int no_links) {
  int fd = no_links ? open_without_links(path) : open(path, O_PATH | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? 0 : -errno;
  struct stat st;
  if (fstat(fd, &st) != 0) {
    close(fd);
    return -errno;
  }
  /* A file root gets the rights that apply to a file. */
  if (!S_ISDIR(st.st_mode)) rights &= FS_WRITE_FILE | FS_TRUNCATE;
  struct ll_path_beneath pb = {.allowed_access = rights, .parent_fd = fd};
  int r = (int)syscall(SYS_landlock_add_rule, ruleset, LL_RULE_PATH_BENEATH, &pb, 0);
  int err = errno;
  close(fd);
  return r == 0 ? 0 : -err;
}

int landlock_wall(const struct config *cfg) {
  int abi = landlock_abi();
  /* ABI 1 cannot allow a rename between directories at all (REFER came with ABI 2). */
  if (abi < 2) return ENOSYS;
  uint64_t rights = write_rights(abi);
  struct ll_ruleset_attr attr = {.handled_access_fs = rights};
  int rs = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(uint64_t), 0);
  if (rs < 0) return errno;
  static const char *const always[] = {"/dev", "/proc"};
  for (size_t i = 0; i < 2; i++) {
    int r = allow_beneath(rs, always[i], rights, 0);
    if (r != 0) return close(rs), -r;
  }
  /* The command's stdout and stderr (and stdin when open for writing) may live outside every root
   * (a file srt's caller redirected to, the user's terminal): `echo > /dev/stderr` reopens them.
   * Only those very files, and only when srt's caller opened them for writing. */
  for (int fd = 0; fd <= 2; fd++) {
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || (fl & O_ACCMODE) == O_RDONLY) continue;
    char link[32];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    int r = allow_beneath(rs, link, FS_WRITE_FILE | (abi >= 3 ? FS_TRUNCATE : 0), 0);
    (void)r; /* a pipe or socket has no file to allow (and needs none) */
  }
  for (int i = 0; i < cfg->n; i++) {
    if (cfg->entries[i].kind != E_ROOT) continue;
    int r = allow_beneath(rs, cfg->entries[i].value, rights, 1);
    if (r != 0) return close(rs), -r;
  }
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return close(rs), errno;
  int r = (int)syscall(SYS_landlock_restrict_self, rs, 0);
  int err = errno;
  close(rs);
  return r == 0 ? 0 : err;
}

int landlock_scope(void) {
  if (landlock_abi() < 6) return ENOSYS;
  struct ll_ruleset_attr attr = {.scoped = SCOPE_ABSTRACT_UNIX | SCOPE_SIGNAL};
  int rs = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
  if (rs < 0) return errno;
  int r = (int)syscall(SYS_landlock_restrict_self, rs, 0);
  int err = errno;
  close(rs);
  return r == 0 ? 0 : err;
}
