/* Shared declarations of srt-supervise (see main.c for what it is and its threat model). */
#ifndef SRT_SUPERVISE_H
#define SRT_SUPERVISE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define MAX_ENTRIES 8192
#define PATHBUF 8192

/* One refused thing: a name at any depth below a writable root, a name directly in a git
 * directory, or an absolute path (and everything below it). `rule` is the origin srt reports. */
enum entry_kind { E_NAME, E_GITDIR, E_PATH, E_ROOT, E_SOCKET, E_BOUND, E_ROOTID };
struct entry {
  enum entry_kind kind;
  const char *rule;
  const char *value;
};

struct config {
  const unsigned char *bpf;
  size_t bpf_len;
  struct entry entries[MAX_ENTRIES];
  int n;
  /* "1": connect() on AF_UNIX is trapped and only E_SOCKET paths may be connected. */
  int unix_scoped;
  /* Landlock: 1 = apply the write wall (roots + E_WRITABLE), else not. */
  int landlock;
};

/* config.c */
int read_config(int fd, struct config *cfg);

/* check.c: the rule that refuses creating `path` (an absolute path, its last component the new
 * name), or NULL. */
const char *refused_by(const struct config *cfg, const char *path);
/* Whether `path` is below a writable root. */
int below_root(const struct config *cfg, const char *path);
/* The E_SOCKET entry equal to `path`, or NULL. */
const char *socket_listed(const struct config *cfg, const char *path);

/* handle.c */
void handle_notifications(int listener, const struct config *cfg, int report_fd, pid_t child);
/* SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP on the listener (Linux >= 6.6): 0, or -1 with errno. */
int set_sync_wake(int listener);

/* launch.c: runs the command named by `words` (the words of the shell launcher) as that launcher
 * would, or exits with its 126/127 answer; returns when the shell launcher is to decide. */
void launch_words(char **words);

/* roots.c: the first writable root that is not where the plan put it, with why in *why; NULL when
 * every root is reached without a link (or is absent) and every bound root is its own writable mount. */
const char *root_not_in_place(const struct config *cfg, const char **why);
/* An O_PATH descriptor of `path` reached from / without following any symbolic link, or -1 (errno). */
int open_without_links(const char *path);

/* landlock.c */
int landlock_abi(void);
/* Restrict this process: writes only below the roots. 0 on success, else an errno. */
int landlock_wall(const struct config *cfg);
/* Restrict this process's signals and abstract sockets to its own domain (ABI >= 6). */
int landlock_scope(void);

#endif
