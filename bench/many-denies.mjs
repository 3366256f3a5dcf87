// Start-up with 500 denied files in one directory (moved here from test/linux/read.test.ts, where a
// timed assertion failed whenever the machine was busy): `srt -- true` with denyWrite many/*,
// denyRead many/* and 500 literal denyRead entries, against a single deny in the same run.
// A glob over a whole directory collapses into one mask, so it should start about as fast as one
// deny (target: ≤ 3 × single + 200 ms, the bound the test used); 500 named files cannot be
// collapsed (one bind each; bwrap's cost per bind grows with the number of mounts) and are reported.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { fmt } from "./_measure.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const srt = process.env.SRT_BENCH_BIN ?? `${root}dist/srt.cjs`;
if (process.platform !== "linux" || spawnSync("sh", ["-c", "command -v bwrap"]).status !== 0) {
  console.log("many-denies bench: skipped (needs Linux with bwrap)");
  process.exit(0);
}
const N = 500;
const RUNS = 9;
const dir = mkdtempSync(join(tmpdir(), "srt-bench-many-"));
try {
  mkdirSync(join(dir, "many"));
  for (let i = 0; i < N; i++) writeFileSync(join(dir, "many", `f${i}.txt`), `s${i}`);
  const variants = {
    single: { filesystem: { denyWrite: ["many/f1.txt"], denyRead: ["many/f2.txt"] } },
    denyWriteGlob: { filesystem: { denyWrite: ["many/*"] } },
    denyReadGlob: { filesystem: { denyRead: ["many/*"] } },
    denyReadNamed: { filesystem: { denyRead: Array.from({ length: N }, (_, i) => `many/f${i}.txt`) } },
  };
  for (const [name, settings] of Object.entries(variants))
    writeFileSync(join(dir, `${name}.json`), JSON.stringify(settings));
  // In turns, so that load from other processes hits every variant alike.
  const times = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (let i = 0; i < RUNS; i++)
    for (const name of Object.keys(variants)) {
      const t0 = process.hrtime.bigint();
      const r = spawnSync(process.execPath, [srt, "--settings", `${name}.json`, "--", "true"], {
        cwd: dir,
        stdio: ["ignore", "ignore", "pipe"],
      });
      times[name].push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (r.status !== 0) throw new Error(`${name}: srt exited ${r.status}: ${r.stderr}`);
    }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const single = median(times.single);
  console.log(`medians of ${RUNS} interleaved runs, ${N} files in one directory`);
  console.log(`${"single denyWrite + denyRead".padEnd(30)} ${fmt(single).padStart(9)}`);
  for (const [name, label, bounded] of [
    ["denyWriteGlob", "denyWrite many/*", true],
    ["denyReadGlob", "denyRead many/*", true],
    ["denyReadNamed", `denyRead of ${N} named files`, false],
  ]) {
    const ms = median(times[name]);
    const verdict = bounded ? `  target ≤ 3 × single + 200 ms: ${ms <= 3 * single + 200 ? "met" : "MISSED"}` : "";
    console.log(`${label.padEnd(30)} ${fmt(ms).padStart(9)}  (×${(ms / single).toFixed(2)} single)${verdict}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
