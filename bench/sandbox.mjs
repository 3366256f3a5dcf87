// Sandbox start-up (issues 3 and 19): wall time of `srt -- true` (no network: the refusing
// endpoint and its bridges are up), `srt exec plan.json -- true` and `srt -- true` with an allowed
// domain (proxies up and bridged), against bare bwrap and `node -e 0` in the same run; peak RSS of
// the srt process (after one unmeasured run of each, which writes srt's code cache; the first
// run is reported apart). SRT_BENCH_BASE_BIN=/other/dist/srt.cjs adds another build's three rows,
// measured in the same turns (a baseline for a change). Targets (issue 19): no network ≤ node + 25 ms; exec ≤ node + 15 ms; with an
// allowed domain ≤ node + 45 ms; peak memory on the no-network path (run mode and exec) ≤ 45 MiB. The
// floor row (bench/_floor.cjs) is Node spawning the plan's own bwrap and nothing else: srt's cost above it
// is its own work, the floor's above node is what any design with Node in front pays.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { fmt, interleavedMediansMs, medianMs } from "./_measure.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const srt = process.env.SRT_BENCH_BIN ?? `${root}dist/srt.cjs`;
const baseSrt = process.env.SRT_BENCH_BASE_BIN;
const bwrap = spawnSync("sh", ["-c", "command -v bwrap"], { encoding: "utf8" }).stdout.trim();
if (process.platform !== "linux" || bwrap === "") {
  console.log("sandbox bench: skipped (needs Linux with bwrap)");
  process.exit(0);
}
const runs = 25;
const cwd = mkdtempSync(join(tmpdir(), "srt-bench-sandbox-"));
// srt's state directory of this bench alone (TMPDIR/srt-<uid>), so that the first run has no code
// cache from an earlier bench, and the plan is compiled for the state directory exec will use.
const temp = mkdtempSync(join(tmpdir(), "srt-bench-state-"));
const srtEnv = { ...process.env, TMPDIR: temp };
try {
  writeFileSync(join(cwd, "offline.json"), JSON.stringify({ filesystem: { denyRead: ["~/.ssh"] } }));
  writeFileSync(
    join(cwd, "online.json"),
    JSON.stringify({ network: { allowedDomains: ["example.test"] }, filesystem: { denyRead: ["~/.ssh"] } }),
  );
  for (const [bin, out] of [[srt, "plan.json"], ...(baseSrt ? [[baseSrt, "base-plan.json"]] : [])]) {
    const plan = spawnSync(
      process.execPath,
      [bin, "compile", "--target", "linux", join(cwd, "offline.json"), "-o", join(cwd, out)],
      { cwd, encoding: "utf8", env: srtEnv },
    );
    if (plan.status !== 0) throw new Error(plan.stderr);
  }
  const rssFile = join(cwd, "rss.txt");
  const onlineRssFile = join(cwd, "online-rss.txt");
  const env = { ...srtEnv, SRT_BENCH_RSS_FILE: rssFile };
  const srtArgv = (...args) => [process.execPath, "-r", `${root}bench/_rss.cjs`, srt, ...args];
  const baseArgv = (...args) => [process.execPath, "-r", `${root}bench/_rss.cjs`, baseSrt, ...args];
  const baseRssFile = join(cwd, "base-rss.txt");
  const baseEnv = { ...srtEnv, SRT_BENCH_RSS_FILE: baseRssFile };

  // One unmeasured run of each first: it compiles the CLI and writes V8's code cache for the next
  // ones (src/runtime/code-cache.ts), once per build, Node and command. Its peak RSS is reported apart.
  const firstRssFile = join(cwd, "first-rss.txt");
  const warmUp = (...args) =>
    medianMs(srtArgv(...args), { runs: 1, cwd, env: { ...env, SRT_BENCH_RSS_FILE: firstRssFile } });
  const first = warmUp("--settings", "offline.json", "--", "true");
  warmUp("exec", "plan.json", "--", "true");
  warmUp("--settings", "online.json", "--", "true");
  const base = baseSrt
    ? {
        baseOffline: { argv: baseArgv("--settings", "offline.json", "--", "true"), cwd, env: baseEnv },
        baseExec: { argv: baseArgv("exec", "base-plan.json", "--", "true"), cwd, env: baseEnv },
        baseOnline: { argv: baseArgv("--settings", "online.json", "--", "true"), cwd, env: srtEnv },
      }
    : {};
  for (const { argv } of Object.values(base)) medianMs(argv, { runs: 1, cwd, env: srtEnv });
  // In turns, as bench/startup.mjs: one block after the other let a burst of load from other
  // processes land on one of them (the same build measured +187 and +275 ms over node minutes apart).
  const { node, bare, floor, offline, exec, online, baseOffline, baseExec, baseOnline } = interleavedMediansMs(
    {
      node: {
        argv: [process.execPath, "-r", `${root}bench/_rss.cjs`, "-e", "0"],
        cwd,
        env: { ...process.env, SRT_BENCH_RSS_FILE: join(cwd, "node-rss.txt") },
      },
      bare: { argv: [bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--unshare-net", "true"], cwd },
      // Node in front of the plan's own bwrap and nothing of srt's (bench/_floor.cjs): what no JavaScript change removes.
      floor: {
        argv: [
          process.execPath,
          "-r",
          `${root}bench/_rss.cjs`,
          `${root}bench/_floor.cjs`,
          join(cwd, "plan.json"),
          bwrap,
        ],
        cwd,
        env: { ...process.env, SRT_BENCH_RSS_FILE: join(cwd, "floor-rss.txt") },
      },
      offline: { argv: srtArgv("--settings", "offline.json", "--", "true"), cwd, env },
      exec: { argv: srtArgv("exec", "plan.json", "--", "true"), cwd, env },
      online: {
        argv: srtArgv("--settings", "online.json", "--", "true"),
        cwd,
        env: { ...env, SRT_BENCH_RSS_FILE: onlineRssFile },
      },
      ...base,
    },
    { runs },
  );
  const nodeKiB = Math.max(...readFileSync(join(cwd, "node-rss.txt"), "utf8").trim().split("\n").map(Number));
  // The tool srt replaces, when installed somewhere (never by this script): SRT_REFERENCE_BIN=/path/to/node_modules/.bin/srt
  const referenceBin = process.env.SRT_REFERENCE_BIN;
  let reference;
  if (referenceBin) {
    writeFileSync(
      join(cwd, "reference.json"),
      JSON.stringify({
        network: { allowedDomains: [], deniedDomains: [] },
        filesystem: { denyRead: ["~/.ssh"], allowWrite: ["."], denyWrite: [] },
      }),
    );
    reference = medianMs([referenceBin, "--settings", "reference.json", "true"], { runs, cwd });
  }
  const peakOf = (file) => Math.max(...readFileSync(file, "utf8").trim().split("\n").map(Number));
  const peakKiB = peakOf(rssFile);
  const onlineKiB = peakOf(onlineRssFile);

  const line = (name, ms, target) => {
    const over = ms - node;
    const verdict = target === undefined ? "" : `  target ≤ node + ${target} ms: ${over <= target ? "met" : "MISSED"}`;
    console.log(
      `${name.padEnd(34)} ${fmt(ms).padStart(9)}  (node +${fmt(over)}, ×${(ms / node).toFixed(2)} node, ×${(ms / bare).toFixed(2)} bare bwrap)${verdict}`,
    );
  };
  console.log(`medians of ${runs} interleaved runs`);
  console.log(`${"node -e 0".padEnd(34)} ${fmt(node).padStart(9)}`);
  console.log(`${"bwrap --ro-bind / / … true".padEnd(34)} ${fmt(bare).padStart(9)}`);
  line("floor: node, then the plan's bwrap", floor);
  line("srt -- true (no network)", offline, 25);
  line("srt exec plan.json -- true", exec, 15);
  line("srt -- true (allowed domain)", online, 45);
  console.log(
    `${"srt exec above the floor".padEnd(34)} ${fmt(exec - floor).padStart(9)}  (srt's own work; the floor is node +${fmt(floor - node)}, ${floor - node > 15 ? "above" : "within"} the exec target by itself)`,
  );
  if (baseSrt) {
    line("base: srt -- true (no network)", baseOffline, 25);
    line("base: srt exec plan.json -- true", baseExec, 15);
    line("base: srt -- true (allowed domain)", baseOnline, 45);
  }
  if (reference !== undefined)
    console.log(
      `${"reference tool: srt true".padEnd(34)} ${fmt(reference).padStart(9)}  (ours without network is ×${(reference / offline).toFixed(2)} faster)`,
    );
  const mib = peakKiB / 1024;
  console.log(
    `peak RSS of srt, no network       ${mib.toFixed(1)} MiB (node -e 0: ${(nodeKiB / 1024).toFixed(1)} MiB, ×${(peakKiB / nodeKiB).toFixed(2)})  target ≤ 45 MiB: ${mib <= 45 ? "met" : "MISSED"}`,
  );
  console.log(
    `peak RSS of srt, allowed domain   ${(onlineKiB / 1024).toFixed(1)} MiB (×${(onlineKiB / nodeKiB).toFixed(2)} node)`,
  );
  console.log(
    `peak RSS of the floor              ${(peakOf(join(cwd, "floor-rss.txt")) / 1024).toFixed(1)} MiB (node, child_process, net and a spawn: the least a Node front end holds)`,
  );
  if (baseSrt) console.log(`base: peak RSS of srt, no network ${(peakOf(baseRssFile) / 1024).toFixed(1)} MiB`);
  const firstKiB = Number(readFileSync(firstRssFile, "utf8").trim().split("\n")[0]);
  console.log(
    `first run, no network             ${fmt(first)}, peak RSS ${(firstKiB / 1024).toFixed(1)} MiB (compiles the CLI and writes its code cache)`,
  );
} finally {
  rmSync(cwd, { recursive: true, force: true });
  rmSync(temp, { recursive: true, force: true });
}
