// Start-up in a project (issue 19): `srt -- true` in a generated tree the size of a Node project
// with its node_modules (1,200 directories, 12,000 files), where the mandatory search lists every
// directory on each compile. Three ways, in turns: without the compile memo (SRT_COMPILE_MEMO=0),
// with it reused (nothing changed), and after a change deep in the tree (a new file each run: the
// memo fails, srt compiles and records again). Prints each against `node -e 0` and the memo's
// saving. The tree is left to settle first (src/runtime/compile-memo.ts: settleMs), as a project
// nobody touched for two seconds.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { fmt, interleavedMediansMs, medianMs } from "./_measure.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const srt = process.env.SRT_BENCH_BIN ?? `${root}dist/srt.cjs`;
if (process.platform !== "linux") {
  console.log("project bench: skipped (the compile memo is Linux only)");
  process.exit(0);
}
const runs = 15;
const work = mkdtempSync(join(tmpdir(), "srt-bench-project-"));
const project = join(work, "project");
const temp = join(work, "tmp");
try {
  mkdirSync(temp);
  for (let p = 0; p < 300; p++)
    for (const d of ["", "lib", "dist", "test"]) {
      const dir = join(project, "node_modules", `pkg${p}`, d);
      mkdirSync(dir, { recursive: true });
      for (let f = 0; f < 10; f++) writeFileSync(join(dir, `f${f}.js`), "");
    }
  mkdirSync(join(project, "src"));
  writeFileSync(join(project, "settings.json"), JSON.stringify({ filesystem: { denyRead: ["~/.ssh"] } }));
  const env = { ...process.env, TMPDIR: temp };
  const argv = [process.execPath, srt, "--settings", "settings.json", "--", "true"];
  // The state directory and code cache first; then the tree settles.
  medianMs(argv, { runs: 2, cwd: project, env });
  await sleep(2500);
  medianMs(argv, { runs: 1, cwd: project, env });
  const deep = join(project, "node_modules", "pkg150", "lib");
  const { node, off, reused, changed } = interleavedMediansMs(
    {
      node: { argv: [process.execPath, "-e", "0"] },
      off: { argv, cwd: project, env: { ...env, SRT_COMPILE_MEMO: "0" } },
      reused: { argv, cwd: project, env },
      changed: { argv, cwd: project, env, before: (i) => writeFileSync(join(deep, `new${i}.js`), "") },
    },
    { runs },
  );
  const line = (name, ms) => console.log(`${name.padEnd(40)} ${fmt(ms).padStart(9)}  (node +${fmt(ms - node)})`);
  console.log(`medians of ${runs} interleaved runs; a project of 1,200 directories and 12,000 files`);
  console.log(`${"node -e 0".padEnd(40)} ${fmt(node).padStart(9)}`);
  line("srt -- true, no compile memo", off);
  line("srt -- true, the memo reused", reused);
  line("srt -- true, after a change deep down", changed);
  console.log(
    `the memo saves ${fmt(off - reused)} of a run (×${(reused / off).toFixed(2)}); a run after a change costs ${fmt(changed - off)} more than without it (recording)`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
