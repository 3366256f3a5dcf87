/**
 * The CPU-throttle measurement every limits suite uses (bwrap, runc, crun):
 * one Node process spins for 2 s of wall time and prints the CPU time it got
 * in that window (its own start-up excluded), so the ratio is the share the
 * sandbox's cgroup allowed. One copy, so the engines are held to the same
 * loop and the same bounds.
 *
 * The bounds, for a limit of 0.05 of a core: measured 0.047-0.049 throttled.
 * Unthrottled the loop gets near 1 on an idle machine and 0.2-0.3 with eight
 * test suites on this machine's 2 cores: throttled stays below 0.12, and the
 * unthrottled baseline (taken in the same suite) above 0.15, so the bound is
 * the limit's doing, not the machine's load.
 */
import { expect } from "vitest";

/** The limit the bounds below are for (`limits.cpu`, in cores). */
export const cpuLimit = 0.05;

/** Spins 2 s of wall time, then prints `cpu_ms=` and `wall_ms=`. */
export const cpuSpin = `exec ${process.execPath} -e "const c=process.cpuUsage(),t=Date.now();while(Date.now()-t<2000){}const u=process.cpuUsage(c);console.log('cpu_ms='+Math.round((u.user+u.system)/1000));console.log('wall_ms='+(Date.now()-t))"`;

export interface CpuShare {
  readonly ratio: number;
  /** What the spin printed, for a failure message. */
  readonly seen: string;
}

/** The share one run of cpuSpin got; the run must have succeeded. */
export function cpuShare(out: {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}): CpuShare {
  expect(out.status, out.stderr).toBe(0);
  const field = (k: string): number => Number(new RegExp(`^${k}=(\\d+)$`, "m").exec(out.stdout)?.[1] ?? NaN);
  return { ratio: field("cpu_ms") / field("wall_ms"), seen: out.stdout.trim().replace(/\n/g, " ") };
}

/** Throttled to cpuLimit; with a baseline, the same loop unlimited got far more. */
export function expectThrottled(limited: CpuShare, unlimited?: CpuShare): void {
  expect(limited.ratio, limited.seen).toBeLessThan(0.12);
  expect(limited.ratio, limited.seen).toBeGreaterThan(0.01);
  if (unlimited !== undefined) expect(unlimited.ratio, unlimited.seen).toBeGreaterThan(0.15);
}
