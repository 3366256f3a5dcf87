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
 * does not exist had nothing mounted on it (bwrap fails a bind whose source is missing). A link
 * planted after this check moves no mount that is already made (a rename of a mount point in
 * another namespace detaches the mount there: the root becomes read-only, never wider). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
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

int open_without_links(const char *path) {
  struct srt_open_how how = {.flags = O_PATH | O_CLOEXEC, .resolve = SRT_RESOLVE_NO_SYMLINKS};
  return (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
}

const char *root_through_link(const struct config *cfg, int *err) {
  for (int i = 0; i < cfg->n; i++) {
    if (cfg->entries[i].kind != E_ROOT) continue;
    int fd = open_without_links(cfg->entries[i].value);
    if (fd >= 0) {
      close(fd);
      continue;
    }
    if (errno == ENOENT) continue;
    /* ELOOP: a link on the way. Anything else (ENOTDIR: a file where a directory was; EACCES) is
     * not the tree the plan was compiled for either: refused, never guessed at. */
    *err = errno;
    return cfg->entries[i].value;
  }
  return NULL;
}
