// Shared by the benches: run a command N times, report the median wall time.
import { spawnSync } from "node:child_process";

export function medianMs(argv, { runs = 21, env, cwd } = {}) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(argv[0], argv.slice(1), { stdio: ["ignore", "ignore", "pipe"], env, cwd });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) throw new Error(`${argv.join(" ")} exited ${r.status}: ${r.stderr}`);
    times.push(ms);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

export const fmt = (ms) => `${ms.toFixed(1)} ms`;
