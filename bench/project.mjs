// Start-up in a project (issue 19): `srt -- true` in a generated tree the size of a Node project
// with its node_modules (1,200 directories, 12,000 files), where the mandatory search lists every
// directory on each compile. Three ways, in turns: without the compile memo (SRT_COMPILE_MEMO=0),
// with it reused (nothing changed), and after a change deep in the tree (a new file each run: the
// memo fails, srt compiles and records again). Prints each against `node -e 0` and the memo's
// saving. The tree is left to settle first (src/runtime/compile-memo.ts: settleMs), as a project
// nobody touched for two seconds. SRT_BENCH_BASE_BIN=/other/dist/srt.cjs adds another build's three
// rows, in the same turns. Each build's reused run follows its own run after a change (any change
// in the tree fails every build's memo): a tree in which one directory changed a moment ago.
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
const baseSrt = process.env.SRT_BENCH_BASE_BIN;
const runs = Number(process.env.SRT_BENCH_RUNS ?? 15);
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
  const argvOf = (bin) => [process.execPath, bin, "--settings", "settings.json", "--", "true"];
  const deep = join(project, "node_modules", "pkg150", "lib");
  let made = 0;
  const three = (bin) => ({
    off: { argv: argvOf(bin), cwd: project, env: { ...env, SRT_COMPILE_MEMO: "0" } },
    changed: { argv: argvOf(bin), cwd: project, env, before: () => writeFileSync(join(deep, `new${made++}.js`), "") },
    reused: { argv: argvOf(bin), cwd: project, env },
  });
  // The state directory and code cache first; then the tree settles.
  for (const bin of baseSrt === undefined ? [srt] : [srt, baseSrt])
    medianMs(argvOf(bin), { runs: 2, cwd: project, env });
  await sleep(2500);
  for (const bin of baseSrt === undefined ? [srt] : [srt, baseSrt])
    medianMs(argvOf(bin), { runs: 1, cwd: project, env });
  const prefixed = (prefix, o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [`${prefix}${k}`, v]));
  const m = interleavedMediansMs(
    {
      node: { argv: [process.execPath, "-e", "0"] },
      ...three(srt),
      ...(baseSrt === undefined ? {} : prefixed("base ", three(baseSrt))),
    },
    { runs },
  );
  const line = (name, ms) => console.log(`${name.padEnd(40)} ${fmt(ms).padStart(9)}  (node +${fmt(ms - m.node)})`);
  console.log(`medians of ${runs} interleaved runs; a project of 1,200 directories and 12,000 files`);
  console.log(`${"node -e 0".padEnd(40)} ${fmt(m.node).padStart(9)}`);
  for (const [prefix, name] of baseSrt === undefined
    ? [["", ""]]
    : [
        ["", "this build: "],
        ["base ", "base: "],
      ]) {
    line(`${name}srt -- true, no compile memo`, m[`${prefix}off`]);
    line(`${name}srt -- true, the memo reused`, m[`${prefix}reused`]);
    line(`${name}srt -- true, after a change deep down`, m[`${prefix}changed`]);
    console.log(
      `${name}the memo saves ${fmt(m[`${prefix}off`] - m[`${prefix}reused`])} of a run (×${(m[`${prefix}reused`] / m[`${prefix}off`]).toFixed(2)}); a run after a change costs ${fmt(m[`${prefix}changed`] - m[`${prefix}off`])} more than without it (recording)`,
    );
  }
  if (baseSrt !== undefined)
    for (const k of ["off", "reused", "changed"])
      console.log(`${k.padEnd(8)} this build / base: ×${(m[k] / m[`base ${k}`]).toFixed(3)}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
