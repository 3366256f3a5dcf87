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

/* Whether components c[0..i-1] end in a `.git` directory (a submodule's `.git/modules/x` is made
 * by `git submodule update` with its own config and hooks, so it is not one here, as on macOS). */
static int in_git_dir(const char *const *c, int i) { return i >= 1 && strcmp(c[i - 1], ".git") == 0; }

const char *refused_by(const struct config *cfg, const char *path) {
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
    for (int j = 0; j < cfg->n; j++) {
      const struct entry *e = &cfg->entries[j];
      if (e->kind == E_NAME && strcmp(c[i], e->value) == 0) return e->rule;
      if (e->kind == E_GITDIR && strcmp(c[i], e->value) == 0 && in_git_dir(c, i)) return e->rule;
    }
  }
  return NULL;
}

int below_root(const struct config *cfg, const char *path) {
  for (int i = 0; i < cfg->n; i++)
    if (cfg->entries[i].kind == E_ROOT && below(path, cfg->entries[i].value)) return 1;
  return 0;
}

const char *socket_listed(const struct config *cfg, const char *path) {
  for (int i = 0; i < cfg->n; i++)
    if (cfg->entries[i].kind == E_SOCKET && strcmp(cfg->entries[i].value, path) == 0) return cfg->entries[i].value;
  return NULL;
}
