/**
 * Protected names created during a run (srt's supervisor, native/srt-supervise): every project
 * name of the protected table, at depths 1–5 below the working directory, in directories that
 * existed when the run started and in directories the command makes, by every way a name comes
 * to be (open with O_CREAT, mkdir -p, rename, hard link, symlink); the git-directory names in a
 * `.git` made during the run; a symlink planted to redirect an O_CREAT open; and a racing thread
 * that flips the path between an allowed and a protected name while another creates it. Each
 * outcome is checked on the host afterwards, not only by the command's exit status.
 */
import { execFileSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { lacking, unavailable } from "../support/requirements.js";
import { gitDirNames, projectNames } from "../../src/compiler/protected-names.js";
import {
  boxesUnder,
  engines,
  type Layout,
  missingTestUser,
  runnersFor,
  runtimeArgs,
  sh,
  skipReason,
  supported,
  tree,
} from "./support.js";

const cc = ["/usr/bin/cc", "/usr/bin/gcc"].find((p) => existsSync(p));
const names = projectNames.filter((n) => n.name !== ".git");
const depths = [1, 2, 3, 4, 5];
const existing = (d: number): string => Array.from({ length: d }, (_, i) => `e${i + 1}`).join("/");
const fresh = (d: number): string => Array.from({ length: d }, (_, i) => `n${i + 1}`).join("/");
const layout: Layout = { [`work/${existing(5)}/keep.txt`]: "v1" };

/** Shell: tries every way of making `$2` in directory `$1`; prints `made <how> <path>` for each that worked. */
const TRY = `try_all() {
  d=$1; n=$2
  true > "$d/$n" 2>/dev/null; [ -e "$d/$n" ] && echo "made open $d/$n" && rm -rf "$d/$n"
  mkdir -p "$d/$n/sub" 2>/dev/null; [ -e "$d/$n" ] && echo "made mkdir-p $d/$n" && rm -rf "$d/$n"
  true > "$d/src.tmp"; mv "$d/src.tmp" "$d/$n" 2>/dev/null; [ -e "$d/$n" ] && echo "made rename $d/$n" && rm -rf "$d/$n"
  mkdir "$d/srcdir.tmp"; mv "$d/srcdir.tmp" "$d/$n" 2>/dev/null; [ -e "$d/$n" ] && echo "made rename-dir $d/$n" && rm -rf "$d/$n"
  ln "$d/src.tmp" "$d/$n" 2>/dev/null; [ -e "$d/$n" ] && echo "made link $d/$n" && rm -rf "$d/$n"
  ln -s /etc/hostname "$d/$n" 2>/dev/null; [ -L "$d/$n" ] && echo "made symlink $d/$n" && rm -rf "$d/$n"
  rm -rf "$d/src.tmp" "$d/srcdir.tmp"
  true > "$d/ok-$n" && echo "neighbour $d/ok-$n"
}
`;

/** The racing probe: one thread flips a path buffer between an allowed and a protected name. */
const RACE_C = String.raw`
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
static char path[64];
static volatile int stop;
static const char *a, *b;
static void *flip(void *x) { (void)x; while (!stop) { memcpy(path, a, strlen(a) + 1); memcpy(path, b, strlen(b) + 1); } return 0; }
int main(int argc, char **argv) {
  if (argc != 5) return 2;
  a = argv[2]; b = argv[3];
  int n = atoi(argv[4]), made = 0;
  strcpy(path, a);
  pthread_t t; pthread_create(&t, 0, flip, 0);
  for (int i = 0; i < n; i++) {
    if (!strcmp(argv[1], "open")) { int fd = open(path, O_CREAT | O_WRONLY, 0644); if (fd >= 0) { close(fd); made++; } }
    else if (!strcmp(argv[1], "mkdir")) { if (mkdir(path, 0755) == 0) made++; }
    else { int fd = open("race.src", O_CREAT | O_WRONLY, 0644); if (fd >= 0) close(fd); if (rename("race.src", path) == 0) made++; }
    unlink(a); rmdir(a);
  }
  stop = 1; pthread_join(t, 0);
  printf("made=%d protected=%s\n", made, access(b, F_OK) == 0 ? "yes" : "no");
  return 0;
}
`;

describe.skipIf(lacking(!supported, skipReason))("protected names created during the run", () => {
  if (missingTestUser) unavailable("as srt-test: user srt-test does not exist (useradd -m srt-test)");

  describe.each(engines)("under %s", (engine) => {
    const useBox = boxesUnder(engine);
    describe.each(runnersFor(engine))("as %s", (runner) => {
      it.concurrent(
        "every project name at depths 1–5, in existing and new directories, by open, mkdir -p, rename, link and symlink",
        async (ctx) => {
          const b = useBox(ctx, runner, layout);
          const lines = [TRY];
          for (const d of depths) lines.push(`mkdir -p ${fresh(d)}`);
          for (const d of depths)
            for (const dir of [existing(d), fresh(d)]) for (const n of names) lines.push(`try_all ${dir} ${n.name}`);
          lines.push("echo done");
          const out = await sh(b, lines.join("\n"), { timeoutMs: 180_000 });
          expect(out.stdout).toContain("done");
          expect(out.stdout.split("\n").filter((l) => l.startsWith("made "))).toEqual([]);
          // The neighbours were written: the refusals are about the names, not the directories.
          expect(out.stdout.split("\n").filter((l) => l.startsWith("neighbour ")).length).toBe(
            depths.length * 2 * names.length,
          );
          const onHost = tree(b.work).filter((p) => names.some((n) => p.split("/").includes(n.name)));
          expect(onHost).toEqual([]);
        },
        240_000,
      );

      it.concurrent(
        "a new repository's git-directory names, and a symlink aimed at a protected name",
        async (ctx) => {
          const b = useBox(ctx, runner, layout);
          const gitNames = gitDirNames.map((n) => n.name);
          const out = await sh(
            b,
            [
              TRY,
              `mkdir -p ${fresh(3)}/.git && echo made-git-dir`,
              ...gitNames.map((n) => `try_all ${fresh(3)}/.git ${n}`),
              // A link made before the name is refused: the O_CREAT open follows it in the supervisor, which checks the target.
              `ln -s .npmrc ${existing(1)}/innocent && true > ${existing(1)}/innocent 2>/dev/null; echo open-through-link=$?`,
              `mkdir -p ${existing(1)}/.vscode 2>/dev/null; echo mkdir-vscode=$?`,
            ].join("\n"),
          );
          expect(out.stdout).toContain("made-git-dir");
          expect(out.stdout.split("\n").filter((l) => l.startsWith("made "))).toEqual([]);
          expect(out.stdout).toMatch(/open-through-link=[1-9]/);
          expect(existsSync(join(b.work, existing(1), ".npmrc"))).toBe(false);
          expect(out.stdout).toMatch(/mkdir-vscode=[1-9]/);
          for (const n of gitNames) expect(existsSync(join(b.work, fresh(3), ".git", n)), n).toBe(false);
          expect(existsSync(join(b.work, existing(1), ".vscode"))).toBe(false);
        },
        120_000,
      );

      if (cc === undefined) unavailable("the racing probe needs a C compiler (apt-get install gcc)");
      else
        it.concurrent(
          "a thread flipping the path between an allowed and a protected name never gets the protected one made",
          async (ctx) => {
            const b = useBox(ctx, runner, layout);
            const src = join(b.outside, "race.c");
            writeFileSync(src, RACE_C);
            const bin = join(b.outside, "race");
            execFileSync(cc, ["-O2", "-pthread", "-o", bin, src]);
            const rounds = 3000;
            const cases = [
              ["open", "xnpmrc", ".npmrc"],
              ["mkdir", "xhusky", ".husky"],
              ["rename", "xmcp.json", ".mcp.json"],
            ] as const;
            const script = [
              `cd ${existing(3)}`,
              ...cases.map(([op, a, p]) => `echo "${op}: $(${bin} ${op} ${a} ${p} ${rounds})"`),
            ].join("\n");
            const made: Record<string, number> = {};
            for (let attempt = 0; attempt < 3; attempt++) {
              const out = await sh(b, script, { timeoutMs: 120_000 });
              for (const [op] of cases) {
                const m = new RegExp(`^${op}: made=(\\d+) protected=(\\w+)$`, "m").exec(out.stdout);
                expect(m, `${op}: ${out.stdout} ${out.stderr}`).not.toBeNull();
                expect(m![2], op).toBe("no");
                made[op] = (made[op] ?? 0) + Number(m![1]);
              }
              for (const [, , p] of cases) expect(existsSync(join(b.work, existing(3), p)), p).toBe(false);
            }
            // The allowed name was made: the race really ran. On a loaded machine one attempt of the
            // rename case can lose every round to the flipping thread; across three it does not.
            for (const [op] of cases) expect(made[op], op).toBeGreaterThan(0);
          },
          360_000,
        );
    });
  });
});
