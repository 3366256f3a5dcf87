/* The decision: may a new name be made at this path? Pure string work on a path the supervisor
 * resolved itself (its parent directory opened, then read back from /proc/self/fd), never on a
 * path string from the command's memory as such. */
#include <string.h>

#include "supervise.h"

#define MAX_COMPONENTS 512

static int below(const char *path, const char *root) {
  size_t n = strlen(root);
  if (n == 1 && root[0] == '/') return path[0] == '/' && path[1] != 0;
  return strncmp(path, root, n) == 0 && path[n] == '/';
}

/* Whether components c[0..i-1] end in a git directory: `.git`, or a submodule's `.git/modules/x`
 * (nested: `.git/modules/x/modules/y`). */
static int in_git_dir(const char *const *c, int i) {
  int k = i - 1;
  if (k >= 0 && strcmp(c[k], ".git") == 0) return 1;
  while (k >= 2 && strcmp(c[k - 1], "modules") == 0) {
    k -= 2;
    if (strcmp(c[k], ".git") == 0) return 1;
  }
  return 0;
}

const char *refused_by(const struct config *cfg, const char *path, int is_mkdir) {
  const char *root = NULL;
  size_t rootlen = 0;
  for (int i = 0; i < cfg->n; i++) {
    const struct entry *e = &cfg->entries[i];
    if (e->kind == E_ROOT && below(path, e->value) && strlen(e->value) >= rootlen) {
      root = e->value;
      rootlen = strlen(e->value);
    }
  }
  /* Not below a writable root: the mounts refuse it (EROFS) or the path is srt's own. */
  if (root == NULL) return NULL;
  /* A write-protected path (and what is below it), when it is at or below the deepest root: the
   * deepest rule wins, as in the mount table. */
  for (int i = 0; i < cfg->n; i++) {
    const struct entry *e = &cfg->entries[i];
    if (e->kind != E_PATH) continue;
    size_t n = strlen(e->value);
    int within = strcmp(e->value, root) == 0 || below(e->value, root);
    if (within && strncmp(path, e->value, n) == 0 && (path[n] == 0 || path[n] == '/')) return e->rule;
  }

  /* The root's own last component, then every component below it. */
  char copy[PATHBUF];
  if (strlen(path) >= sizeof copy) return "too-long";
  strcpy(copy, path);
  const char *c[MAX_COMPONENTS];
  int n = 0;
  char *rootlast = NULL;
  if (rootlen > 1) {
    copy[rootlen] = 0;
    rootlast = strrchr(copy, '/') + 1;
    c[n++] = rootlast;
  }
  int first = n;
  for (char *s = copy + (rootlen > 1 ? rootlen + 1 : 1); *s != 0;) {
    char *slash = strchr(s, '/');
    if (slash != NULL) *slash = 0;
    if (*s != 0) {
      if (n == MAX_COMPONENTS) return "too-deep";
      c[n++] = s;
    }
    if (slash == NULL) break;
    s = slash + 1;
  }
  for (int i = first; i < n; i++) {
    int last = i == n - 1;
    for (int j = 0; j < cfg->n; j++) {
      const struct entry *e = &cfg->entries[j];
      if (e->kind == E_NAME && strcmp(c[i], e->value) == 0) {
        /* `.git` itself: only a new *directory* may be made (git init, clone); a `.git` file or
         * link decides which repository git uses, and an existing one is held by a mount. */
        if (strcmp(e->value, ".git") == 0) {
          if (last && !is_mkdir) return e->rule;
          continue;
        }
        return e->rule;
      }
      if (e->kind == E_GITDIR && strcmp(c[i], e->value) == 0 && in_git_dir(c, i)) return e->rule;
    }
  }
  return NULL;
}

const char *socket_listed(const struct config *cfg, const char *path) {
  for (int i = 0; i < cfg->n; i++)
    if (cfg->entries[i].kind == E_SOCKET && strcmp(cfg->entries[i].value, path) == 0) return cfg->entries[i].value;
  return NULL;
}
