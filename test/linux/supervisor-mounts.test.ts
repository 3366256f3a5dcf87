/**
 * The supervisor's check of the roots srt bound (native/srt-supervise/roots.c), run by real bwrap
 * the way srt runs it, with the mount table a race leaves behind: another sandbox swaps a writable
 * root R with a link to X (renameat2 RENAME_EXCHANGE, in a loop), bwrap's bind follows the link,
 * and the link is swapped back before the supervisor looks. R is then a plain directory of the
 * read-only tree, its path has no link, and X is writable. The race itself cannot be timed from a
 * test; its outcome can be built directly: `--bind X X` with R named as bound. Root and srt-test.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { findNative } from "../../src/runtime/native.js";
import { readSupervisorReport, supervisorConfig } from "../../src/runtime/linux/supervisor.js";
import { rootIdentity } from "../../src/runtime/linux/root-identity.js";
import {
  bwrapPath,
  missingTestUser,
  runners,
  setprivPath,
  skipReason,
  srt,
  supported,
  useBox,
  type Box,
} from "./support.js";
import { lacking, unavailable } from "../support/requirements.js";

const supervise = findNative("srt-supervise");
/** One instruction: SECCOMP_RET_ALLOW (the supervisor needs a program to install; this one traps nothing). */
const allowAll = Buffer.from([0x06, 0, 0, 0, 0x00, 0x00, 0xff, 0x7f]);

/** bwrap with `binds`, then srt-supervise configured with root and bound R; the command prints "ran". */
async function superviseUnder(b: Box, binds: readonly string[], root: string, identify = false) {
  // Docker's way: the root named by the identity srt found on the host, not as a bind of its own.
  const id = identify ? rootIdentity(root) : undefined;
  if (id !== undefined && id.kind !== "found") throw new Error(`no identity for ${root}: ${JSON.stringify(id)}`);
  const config = supervisorConfig(
    { names: [], gitDirNames: [], paths: [], roots: [root], landlock: true },
    allowAll,
    b.tmp,
    identify ? [] : [root],
    id === undefined ? [] : [{ path: root, dev: id.dev, ino: id.ino }],
  );
  const bwrap = [
    bwrapPath!,
    "--ro-bind",
    "/",
    "/",
    "--dev",
    "/dev",
    "--proc",
    "/proc",
    "--unshare-pid",
    "--die-with-parent",
    ...binds,
    supervise!,
    "3",
    "4",
    "--",
    "/bin/sh",
    "-c",
    "echo ran",
  ];
  const argv =
    b.runner === "srt-test"
      ? [setprivPath, `--reuid=${b.uid}`, `--regid=${b.gid}`, "--init-groups", "--", ...bwrap]
      : bwrap;
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "pipe", "pipe", "pipe", "pipe"] });
  const [configPipe, reportPipe] = [child.stdio[3], child.stdio[4]] as [NodeJS.WritableStream, NodeJS.ReadableStream];
  configPipe.end(config);
  const report = readSupervisorReport(reportPipe as never, () => "");
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += String(d)));
  child.stderr!.on("data", (d: Buffer) => (stderr += String(d)));
  const status = await new Promise<number | null>((r) => child.on("close", (code) => r(code)));
  return { status, stdout, stderr, report: await report };
}

describe.skipIf(lacking(!supported || supervise === undefined, skipReason))(
  "the supervisor refuses a bound root that is not its own writable mount",
  () => {
    if (missingTestUser) unavailable("as srt-test: user srt-test does not exist (useradd -m srt-test)");

    describe.each(runners)("as %s", (runner) => {
      it.concurrent("the bind in place: the command runs (the control)", async (ctx) => {
        const b = useBox(ctx, runner, { "work/r": null });
        const r = b.at("work/r");
        const out = await superviseUnder(b, ["--bind", r, r], r);
        expect(out.stdout, out.stderr).toBe("ran\n");
        expect(out.report.ready).toBe(true);
      });

      it.concurrent("the bind landed elsewhere, the root a plain directory again: nothing runs", async (ctx) => {
        const b = useBox(ctx, runner, { "work/r": null, "work/x": null });
        const [r, x] = [b.at("work/r"), b.at("work/x")];
        expect(existsSync(r)).toBe(true);
        const out = await superviseUnder(b, ["--bind", x, x], r);
        expect(out.stdout).toBe("");
        expect(out.report).toMatchObject({ ready: false, moved: r });
        expect(out.stderr).toContain("not the mount srt made there");
      });

      it.concurrent("srt exec: a plan whose writable bind went to the root's parent runs nothing", async (ctx) => {
        // The outcome of the race through srt itself: the bind of the working directory lands on its
        // parent (as a link swapped in and back would make it), the plan's roots unchanged.
        const b = useBox(ctx, runner);
        const planFile = b.at("outside/plan.json");
        const compiled = await srt(b, ["compile", "--target", "linux", b.settings, "-o", planFile]);
        expect(compiled.status, compiled.stderr).toBe(0);
        const plan = JSON.parse(readFileSync(planFile, "utf8")) as { bwrap: unknown[] };
        const i = plan.bwrap.findIndex((a, k) => a === "--bind" && plan.bwrap[k + 1] === b.work);
        expect(i).toBeGreaterThan(0);
        plan.bwrap[i + 1] = b.root;
        plan.bwrap[i + 2] = b.root;
        writeFileSync(planFile, JSON.stringify(plan));
        const out = await srt(b, ["exec", planFile, "--", "sh", "-c", `echo x > ${b.at("outside/escape.txt")}`]);
        expect(out.status).toBe(1);
        expect(out.stderr).toContain("SRT552");
        expect(existsSync(b.at("outside/escape.txt"))).toBe(false);
      });

      it.concurrent("identified (Docker's way): the directory srt found is mounted, and runs", async (ctx) => {
        const b = useBox(ctx, runner, { "work/r": null });
        const r = b.at("work/r");
        const out = await superviseUnder(b, ["--bind", r, r], r, true);
        expect(out.stdout, out.stderr).toBe("ran\n");
      });

      it.concurrent(
        "identified: another directory mounted at the root (a swapped source) runs nothing",
        async (ctx) => {
          // The daemon followed a link planted after srt's walk: the root's path holds another directory.
          const b = useBox(ctx, runner, { "work/r": null, "work/x": null });
          const [r, x] = [b.at("work/r"), b.at("work/x")];
          const out = await superviseUnder(b, ["--bind", x, r], r, true);
          expect(out.stdout).toBe("");
          expect(out.report).toMatchObject({ ready: false, moved: r });
          expect(out.stderr).toContain("not the directory srt found there");
        },
      );

      it.concurrent("the root a read-only mount: nothing runs", async (ctx) => {
        const b = useBox(ctx, runner, { "work/r": null });
        const r = b.at("work/r");
        const out = await superviseUnder(b, ["--ro-bind", r, r], r);
        expect(out.stdout).toBe("");
        expect(out.report).toMatchObject({ ready: false, moved: r });
        expect(out.stderr).toContain("read-only");
      });
    });
  },
);
