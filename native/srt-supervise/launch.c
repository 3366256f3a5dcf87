/* The command's launch without its shell: what src/runtime/shell.ts's launcherScript does for a
 * command given as words under bash, done here when the answer needs no shell, so that a run
 * does not start bash only for it to exec the command (about 2.5 ms of CPU a run).
 *
 *   [shell, --norc, -c, launcherScript, srt, WORD...]   srt passes the index of the first WORD
 *
 * Same semantics as the script: a word with a slash (a leading "-" prefixed with "./") is
 * "Is a directory" (126), "No such file or directory" (127), "Permission denied" (126) or run;
 * a bare name is looked for in each PATH entry (empty = the working directory), the first
 * executable regular file wins, else the first other existing non-directory is "Permission
 * denied" (126). Everything else goes back to the shell launcher, unchanged: nothing found (a
 * builtin or function, or "command not found"), an exec that fails (the shell runs a script
 * without "#!" itself, or words its own error), and any environment bash would read or rewrite
 * in a way not reproduced below (BASH_ENV, SHELLOPTS, exported functions, PS4, …).
 *
 * What bash does to the environment before `exec` is reproduced: PWD stays when it names the
 * working directory, else it becomes the physical one; OLDPWD stays only when it names a
 * directory; `_` is dropped; SHLVL (bash adds 1 at start and `exec` takes it back) stays, or is
 * "0" when unset. Only the order of the variables differs (bash's is its hash table's).
 *
 * Threat model: this runs in the command's own process, after no_new_privs, Landlock and the
 * seccomp filter, with the listener, the report fd and the socketpair already closed: it has
 * exactly what the shell it replaces would have had and reads only what that shell would have
 * read (the command's words and environment, and stat/access on the paths they name). A hostile
 * environment or file system can at most make it take the fallback, the same shell as before.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "supervise.h"

extern char **environ;

#define MAX_ENV 1024

/* Names bash imports as its own variables, reads for its own behaviour, or exports changed. */
static const char *const shell_names[] = {
    "IFS",        "PS1",     "PS2",           "PS3",          "PS4",           "ENV",        "POSIXLY_CORRECT",
    "SHELLOPTS",  "OPTIND",  "OPTERR",        "OPTARG",       "PPID",          "UID",        "EUID",
    "GROUPS",     "RANDOM",  "SRANDOM",       "SECONDS",      "LINENO",        "HISTCMD",    "EPOCHSECONDS",
    "EPOCHREALTIME", "COMP_WORDBREAKS", "FUNCNAME", "DIRSTACK", "PIPESTATUS",   "EXECIGNORE", "GLOBIGNORE",
    "FUNCNEST",   "TMOUT",   "CDPATH",        "MAILCHECK",    "MAILPATH",      "COPROC",     "MAPFILE",
    "REPLY",      "TIMEFORMAT", "INPUTRC",    "IGNOREEOF",    "FIGNORE",       "COLUMNS",    "LINES",
    NULL,
};
static const char *const shell_prefixes[] = {"BASH", "HIST", "READLINE_", "COMP_", "LC_ALL", NULL};

static int name_len(const char *entry) {
  const char *eq = strchr(entry, '=');
  return eq == NULL ? -1 : (int)(eq - entry);
}

/* Whether bash passes this variable on exactly as it came: a plain identifier, not one of its own. */
static int plain_variable(const char *entry, int n) {
  if (n <= 0) return 0;
  for (int i = 0; i < n; i++) {
    char c = entry[i];
    int alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return 0;
  }
  for (const char *const *s = shell_names; *s != NULL; s++)
    if ((int)strlen(*s) == n && strncmp(entry, *s, (size_t)n) == 0) return 0;
  for (const char *const *p = shell_prefixes; *p != NULL; p++)
    if (strncmp(entry, *p, strlen(*p)) == 0) return 0;
  return 1;
}

static int is(const char *entry, int n, const char *name) {
  return (int)strlen(name) == n && strncmp(entry, name, (size_t)n) == 0;
}

/* SHLVL bash leaves as it is (0..998, as bash prints a number); anything else is the shell's. */
static int plain_level(const char *v) {
  size_t n = strlen(v);
  if (n == 0 || n > 3 || (n > 1 && v[0] == '0')) return 0;
  for (size_t i = 0; i < n; i++)
    if (v[i] < '0' || v[i] > '9') return 0;
  return atoi(v) <= 998;
}

static int same_file(const char *a, const char *b) {
  struct stat x, y;
  return stat(a, &x) == 0 && stat(b, &y) == 0 && x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

/* The environment bash would hand the command, or NULL when that is for bash itself to decide. */
static char **shell_environment(void) {
  static char *out[MAX_ENV + 3];
  static char pwd[PATHBUF + 4];
  int k = 0, have_pwd = 0, have_level = 0;
  for (char **e = environ; *e != NULL; e++) {
    const char *entry = *e;
    int n = name_len(entry);
    if (n <= 0 || e - environ >= MAX_ENV) return NULL;
    for (char **seen = environ; seen < e; seen++) /* a name twice: which one bash keeps is its business */
      if (strncmp(*seen, entry, (size_t)n + 1) == 0) return NULL;
    const char *value = entry + n + 1;
    if (is(entry, n, "_")) continue;
    if (is(entry, n, "OLDPWD")) {
      struct stat st;
      if (stat(value, &st) == 0 && S_ISDIR(st.st_mode)) out[k++] = (char *)entry;
      continue;
    }
    if (is(entry, n, "PWD")) {
      have_pwd = 1;
      if (value[0] == '/' && same_file(value, ".")) {
        out[k++] = (char *)entry;
        continue;
      }
      if (getcwd(pwd + 4, sizeof pwd - 4) == NULL) return NULL;
      memcpy(pwd, "PWD=", 4);
      out[k++] = pwd;
      continue;
    }
    if (is(entry, n, "SHLVL")) {
      if (!plain_level(value)) return NULL;
      have_level = 1;
      out[k++] = (char *)entry;
      continue;
    }
    if (!plain_variable(entry, n)) return NULL;
    out[k++] = (char *)entry;
  }
  if (!have_pwd) {
    if (getcwd(pwd + 4, sizeof pwd - 4) == NULL) return NULL;
    memcpy(pwd, "PWD=", 4);
    out[k++] = pwd;
  }
  if (!have_level) out[k++] = "SHLVL=0";
  out[k] = NULL;
  return out;
}

/* The shell's message and status, as the script prints them (one write, as its printf does). */
static void refuse(const char *word, const char *why, int status) {
  char buf[PATHBUF + 64];
  int n = snprintf(buf, sizeof buf, "srt: %s: %s\n", word, why);
  if (n > 0 && (size_t)n < sizeof buf) {
    ssize_t w = write(2, buf, (size_t)n);
    (void)w;
    _exit(status);
  }
}

/* /dev/fd/N and /dev/std*: bash's test answers for these from the fd, not the path. */
static int devfd(const char *p) { return strncmp(p, "/dev/fd/", 8) == 0 || strncmp(p, "/dev/std", 8) == 0; }

void launch_words(char **words) {
  const char *name = words[0];
  if (name == NULL || name[0] == 0) return; /* the shell's "command not found" */
  char **env = shell_environment();
  if (env == NULL) return;
  static char file[PATHBUF];
  struct stat st;
  if (strchr(name, '/') != NULL) {
    const char *path = name;
    if (name[0] == '-') {
      if (snprintf(file, sizeof file, "./%s", name) >= (int)sizeof file) return;
      path = file;
      words[0] = file;
    }
    if (devfd(path)) return;
    int found = stat(path, &st) == 0;
    if (found && S_ISDIR(st.st_mode)) refuse(path, "Is a directory", 126);
    if (!found) refuse(path, "No such file or directory", 127);
    if (access(path, X_OK) != 0) refuse(path, "Permission denied", 126);
    execve(path, words, env);
    words[0] = (char *)name; /* it did not run: the shell decides, from the words as they came */
    return;
  }
  const char *rest = getenv("PATH");
  if (rest == NULL) return; /* bash looks in its own default PATH */
  int denied = 0;
  for (;;) {
    const char *colon = strchr(rest, ':');
    size_t len = colon == NULL ? strlen(rest) : (size_t)(colon - rest);
    int n = len == 0 ? snprintf(file, sizeof file, "./%s", name)
                     : snprintf(file, sizeof file, "%.*s/%s", (int)len, rest, name);
    if (n < 0 || n >= (int)sizeof file || devfd(file)) return;
    if (stat(file, &st) == 0 && !S_ISDIR(st.st_mode)) {
      int exec_ok = access(file, X_OK) == 0;
      if (S_ISREG(st.st_mode) && exec_ok) {
        /* `exec NAME` searches PATH again and takes any executable non-directory: one before
         * this file that is not a regular one is the shell's to find. */
        if (denied < 0) return;
        if (name[0] == '-') words[0] = file;
        execve(file, words, env);
        words[0] = (char *)name;
        return;
      }
      if (exec_ok) denied = -1;
      else if (denied == 0) denied = 1;
    }
    if (colon == NULL) break;
    rest = colon + 1;
  }
  if (denied > 0) refuse(name, "Permission denied", 126);
}
