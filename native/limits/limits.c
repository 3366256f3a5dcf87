/*
 * srt's limits helper: puts itself into the run's cgroups and lowers its
 * rlimits, then executes the next program (unshare or bwrap). Whatever that
 * program starts — bwrap, the sandbox's init, the command and all its
 * children — is born inside the cgroups and under the rlimits: nothing of
 * the sandbox ever runs outside them, and no process has to be moved later
 * (a process forked before a move would stay behind).
 *
 *   limits [--join FILE]... [--rlimit data|fsize|nofile=N]... -- PROGRAM [ARG]...
 *
 * --join writes "0" (this process) to a cgroup.procs file. --rlimit sets the
 * soft AND hard limit to N, so the command cannot raise it back. PROGRAM is
 * an absolute path (execv, never a PATH search). Descriptors are left as they
 * are: srt hands bwrap its pipes on fds 3 and up. Any failure ends here with
 * status 125 and a message; the sandbox never starts without its limits.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static int fail(const char *what, const char *arg) {
  fprintf(stderr, "srt: limits: %s %s: %s\n", what, arg, strerror(errno));
  return 125;
}

static int usage(const char *why) {
  fprintf(stderr, "srt: limits: %s\nusage: limits [--join FILE]... [--rlimit data|fsize|nofile=N]... -- PROGRAM [ARG]...\n", why);
  return 125;
}

static int join(const char *file) {
  int fd = open(file, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return fail("cannot open", file);
  if (write(fd, "0\n", 2) != 2) {
    int saved = errno;
    close(fd);
    errno = saved;
    return fail("cannot join the cgroup of", file);
  }
  if (close(fd) != 0) return fail("cannot join the cgroup of", file);
  return 0;
}

static int lower(const char *spec) {
  const char *eq = strchr(spec, '=');
  if (eq == NULL) return usage("--rlimit needs NAME=N");
  int resource;
  size_t n = (size_t)(eq - spec);
  if (n == 4 && strncmp(spec, "data", 4) == 0) resource = RLIMIT_DATA;
  else if (n == 5 && strncmp(spec, "fsize", 5) == 0) resource = RLIMIT_FSIZE;
  else if (n == 6 && strncmp(spec, "nofile", 6) == 0) resource = RLIMIT_NOFILE;
  else return usage("unknown rlimit (data, fsize, nofile)");
  char *end = NULL;
  errno = 0;
  unsigned long long v = strtoull(eq + 1, &end, 10);
  if (errno != 0 || end == eq + 1 || *end != '\0' || v == 0) return usage("an rlimit needs a positive whole number");
  struct rlimit rl = {.rlim_cur = (rlim_t)v, .rlim_max = (rlim_t)v};
  if (setrlimit(resource, &rl) != 0) return fail("cannot set rlimit", spec);
  return 0;
}

int main(int argc, char **argv) {
  int i = 1;
  for (; i < argc; i++) {
    int rc = 0;
    if (strcmp(argv[i], "--") == 0) break;
    if (i + 1 >= argc) return usage("an option needs a value");
    if (strcmp(argv[i], "--join") == 0) rc = join(argv[++i]);
    else if (strcmp(argv[i], "--rlimit") == 0) rc = lower(argv[++i]);
    else return usage("unknown option");
    if (rc != 0) return rc;
  }
  if (i + 1 >= argc || argv[i + 1][0] != '/') return usage("-- and an absolute program path are required");
  execv(argv[i + 1], &argv[i + 1]);
  return fail("cannot execute", argv[i + 1]);
}
