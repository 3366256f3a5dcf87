// CLI start-up: `srt check` on a small policy against bare `node -e 0`.
// Target (issue 2): at most +40 ms over bare Node.
//
// The three commands are timed in turns (node, srt --version, srt check, node, …)
// so that load from other processes on a shared machine hits all of them alike,
// and the medians are compared. HOME and the cwd are fresh, small directories: the
// policy's writable paths (~/.npm, ~/.cache, .) are searched for mandatory denies,
// and a big npm cache in the real home would turn this into a walk benchmark
// (bench/expansion.mjs measures walks).
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { fmt } from "./_measure.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const home = mkdtempSync(join(tmpdir(), "srt-bench-startup-"));
const cwd = join(home, "project");
mkdirSync(join(home, ".npm"), { recursive: true });
mkdirSync(cwd);
const env = { ...process.env, HOME: home };

const commands = {
  node: [process.execPath, "-e", "0"],
  version: [process.execPath, `${root}dist/srt.cjs`, "--version"],
  check: [process.execPath, `${root}dist/srt.cjs`, "check", `${root}examples/agent.json`],
};
const RUNS = 31;
const times = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
for (let i = 0; i < RUNS; i++) {
  for (const [name, argv] of Object.entries(commands)) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(argv[0], argv.slice(1), { stdio: ["ignore", "ignore", "pipe"], env, cwd });
    times[name].push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (r.status !== 0) throw new Error(`${argv.join(" ")} exited ${r.status}: ${r.stderr}`);
  }
}
rmSync(home, { recursive: true, force: true });
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const node = median(times.node);
const version = median(times.version);
const check = median(times.check);
console.log(`medians of ${RUNS} interleaved runs`);
console.log(`node -e 0                  ${fmt(node)}`);
console.log(`srt --version              ${fmt(version)}  (+${fmt(version - node)}, ×${(version / node).toFixed(2)})`);
console.log(
  `srt check examples/agent   ${fmt(check)}  (+${fmt(check - node)}, ×${(check / node).toFixed(2)})  target ≤ +40 ms: ${check - node <= 40 ? "met" : "MISSED"}`,
);
