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

/**
 * Medians of several commands run in turns (a, b, c, a, b, c, …), so that load from other
 * processes on a shared machine hits all of them alike: `commands` maps a name to
 * { argv, env, cwd, before? } (`before` runs untimed ahead of each run); returns the median wall
 * time of each, by name.
 */
export function interleavedMediansMs(commands, { runs = 21 } = {}) {
  const times = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
  for (let i = 0; i < runs; i++)
    for (const [name, { argv, env, cwd, before }] of Object.entries(commands)) {
      before?.(i);
      const t0 = process.hrtime.bigint();
      const r = spawnSync(argv[0], argv.slice(1), { stdio: ["ignore", "ignore", "pipe"], env, cwd });
      times[name].push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (r.status !== 0) throw new Error(`${argv.join(" ")} exited ${r.status}: ${r.stderr}`);
    }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return Object.fromEntries(Object.entries(times).map(([k, xs]) => [k, median(xs)]));
}
