/* The writable roots where the plan put them. bwrap follows symbolic links in a bind's source and
 * destination, so a root that was replaced by a link after the plan was compiled gets its writable
 * mount where the link leads. The adversary: another sandboxed command of the same user, earlier or
 * concurrent, under a policy that writes a parent of the root (policy A writes the project, plan B
 * writes only project/build; A's command makes build a link to ../home/.ssh, and B's next run
 * would write ~/.ssh, which neither policy allows). The compiler refuses a writable path reached
 * through such a link (src/compiler/planted.ts); a plan compiled before the link existed, or a
 * link planted between the compile and bwrap's mounts, is caught here.
 *
 * This runs after the mounts and before the command exists: every root must be reached from / as
 * the kernel resolves it now without meeting a symbolic link (openat2 RESOLVE_NO_SYMLINKS, Linux
 * 5.6; the supervisor needs 5.14 anyway). Roots are real paths when compiled, and the run's private
 * temp directory is too, so a link on the way means the mount tree is not the plan's. A root that
 * does not exist had nothing mounted on it (bwrap fails a bind whose source is missing).
 *
 * A link can also be swapped back between bwrap's mount and this check (renameat2 exchanges a
 * directory and a link atomically, in a loop): the root is then a plain directory again while the
 * writable mount sits where the link led. So every root srt bound as a mount of its own ("bound":
 * the plan's writable binds and the run's temp directory) must also be the root of a mount now
 * (statx STATX_ATTR_MOUNT_ROOT) that is not read-only. A link planted after this check moves no
 * mount that is already made (a rename of a mount point in another namespace detaches the mount
 * there: the root becomes read-only, never wider).
 *
 * Docker and podman resolve a bind's source in the daemon, where this process cannot look, and in
 * a user's image the destination is the image's own directory: no link shows here. For them srt
 * walks to each root on the host without following a link and names the directory it found
 * ("rootid": device and inode, src/runtime/linux/root-identity.ts); the directory mounted at the
 * root must be that one. */
#include <errno.h>
#include <fcntl.h>
#include <linux/stat.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "supervise.h"

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

/* struct open_how and RESOLVE_NO_SYMLINKS spelled out: the build machine's headers may predate them. */
struct srt_open_how {
  uint64_t flags;
  uint64_t mode;
  uint64_t resolve;
};
#define SRT_RESOLVE_NO_SYMLINKS 0x04
/* statx's attribute for the root of a mount (Linux 5.8), spelled out for older headers. */
#define SRT_STATX_ATTR_MOUNT_ROOT 0x00002000

int open_without_links(const char *path) {
  struct srt_open_how how = {.flags = O_PATH | O_CLOEXEC, .resolve = SRT_RESOLVE_NO_SYMLINKS};
  return (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
}

/* A root srt bound as a mount of its own must be the root of a writable mount now: a bind that
 * followed a link elsewhere left the path a plain directory of the read-only tree, even if the
 * link was swapped back (renameat2 RENAME_EXCHANGE) before this check. */
static const char *not_own_mount(int fd) {
  struct statx sx;
  if (syscall(SYS_statx, fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &sx) != 0) return strerror(errno);
  /* Reported since Linux 5.8; the supervisor needs 5.14. A kernel that does not say is not trusted to. */
  if (!(sx.stx_attributes_mask & SRT_STATX_ATTR_MOUNT_ROOT)) return "the kernel does not say whether it is a mount";
  if (!(sx.stx_attributes & SRT_STATX_ATTR_MOUNT_ROOT)) return "not the mount srt made there (its bind landed elsewhere)";
  struct statfs fs;
  if (fstatfs(fd, &fs) != 0) return strerror(errno);
  if (fs.f_flags & ST_RDONLY) return "mounted read-only, not the writable mount srt made there";
  return NULL;
}

/* A root srt identified on the host (Docker, podman: the daemon resolved the bind's source where
 * this process cannot look) must be that very directory: a link swapped in after srt's walk made
 * the daemon mount another one. */
static const char *not_that_directory(int fd, const char *id) {
  struct stat st;
  if (fstat(fd, &st) != 0) return strerror(errno);
  char mine[64];
  snprintf(mine, sizeof mine, "%ju:%ju", (uintmax_t)st.st_dev, (uintmax_t)st.st_ino);
  return strcmp(mine, id) == 0 ? NULL : "not the directory srt found there on the host (another one was mounted)";
}

const char *root_not_in_place(const struct config *cfg, const char **why) {
  for (int i = 0; i < cfg->n; i++) {
    enum entry_kind kind = cfg->entries[i].kind;
    if (kind != E_ROOT && kind != E_BOUND && kind != E_ROOTID) continue;
    int fd = open_without_links(cfg->entries[i].value);
    if (fd < 0) {
      /* An absent root had nothing mounted on it; a bound one was mounted, so it must be there. */
      if (errno == ENOENT && kind == E_ROOT) continue;
      /* ELOOP: a link on the way. Anything else (ENOTDIR: a file where a directory was; EACCES) is
       * not the tree the plan was compiled for either: refused, never guessed at. */
      *why = errno == ELOOP ? "reached through a symbolic link" : strerror(errno);
      return cfg->entries[i].value;
    }
    const char *bad = kind == E_BOUND    ? not_own_mount(fd)
                      : kind == E_ROOTID ? not_that_directory(fd, cfg->entries[i].rule)
                                         : NULL;
    close(fd);
    if (bad != NULL) {
      *why = bad;
      return cfg->entries[i].value;
    }
  }
  return NULL;
}
