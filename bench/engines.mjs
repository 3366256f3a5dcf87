// Engines (issue 17): wall time of `srt -- true` under bwrap (the default) and under runc
// (`srt --runtime runc`, the OCI backend), without and with network (proxies bridged into the
// container), as ratios to bwrap measured in the same run. runc is slower by design: it writes
// a bundle, and runc's own start-up (a Go binary, its init re-exec, cgroups for root) dominates.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { fmt, medianMs } from "./_measure.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const srt = process.env.SRT_BENCH_BIN ?? `${root}dist/srt.mjs`;
const has = (tool) => spawnSync("sh", ["-c", `PATH=$PATH:/usr/sbin:/sbin command -v ${tool}`]).status === 0;
if (process.platform !== "linux" || !has("bwrap") || !has("runc")) {
  console.log("engines bench: skipped (needs Linux with bwrap and runc)");
  process.exit(0);
}
const runs = 15;
const cwd = mkdtempSync(join(tmpdir(), "srt-bench-engines-"));
try {
  writeFileSync(join(cwd, "offline.json"), JSON.stringify({ filesystem: { denyRead: ["~/.ssh"] } }));
  writeFileSync(
    join(cwd, "online.json"),
    JSON.stringify({ network: { allowedDomains: ["example.test"] }, filesystem: { denyRead: ["~/.ssh"] } }),
  );
  const run = (...args) => medianMs([process.execPath, srt, ...args, "--", "true"], { runs, cwd });
  const rows = [];
  for (const settings of ["offline.json", "online.json"]) {
    const bwrap = run("--settings", settings);
    const runc = run("--runtime", "runc", "--settings", settings);
    rows.push({ settings, bwrap, runc });
  }
  for (const r of rows)
    console.log(
      `srt -- true, ${r.settings.padEnd(12)} bwrap ${fmt(r.bwrap).padStart(9)}  runc ${fmt(r.runc).padStart(9)}  runc/bwrap ${(r.runc / r.bwrap).toFixed(2)}x`,
    );
  console.log("docker: not measured (the docker runner is not implemented yet)");
} finally {
  rmSync(cwd, { recursive: true, force: true });
}
