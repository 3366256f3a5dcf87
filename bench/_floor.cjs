// The floor of any sandbox run with Node in front (bench/sandbox.mjs, issue 19): a Node process that
// does nothing of srt's but what every such run must do — load child_process and net (spawning, and
// serving a proxy or the refusing endpoint), make the plan's placeholders, spawn bwrap with the
// plan's own mounts and namespaces, wait for it, remove the placeholders. No settings, no checks, no
// supervisor, no seccomp, no watchdog, no bridge: what `srt exec plan.json -- true` costs above this
// row is srt's own work; what this row costs above `node -e 0` no JavaScript change can remove.
//   node _floor.cjs plan.json /path/to/bwrap   (the bench's own bwrap, as its bare row runs)
"use strict";
const { spawn } = require("node:child_process");
require("node:net");
const { mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, unlinkSync, writeFileSync } = require("node:fs");
const { tmpdir } = require("node:os");
const { join } = require("node:path");

const plan = JSON.parse(readFileSync(process.argv[2], "utf8"));
const slot = mkdtempSync(join(tmpdir(), "srt-bench-floor-"));
const made = [];
for (const p of plan.placeholders ?? []) {
  try {
    if (p.kind === "dir") mkdirSync(p.path);
    else writeFileSync(p.path, "", { flag: "wx" });
    made.push(p);
  } catch (e) {
    if (e.code !== "EEXIST") throw e;
  }
}
const args = plan.bwrap.map((a) => (typeof a === "string" ? a : slot));
const child = spawn(process.argv[3], [...args, "true"], { stdio: "inherit" });
child.on("exit", (code) => {
  for (const p of made.reverse()) (p.kind === "dir" ? rmdirSync : unlinkSync)(p.path);
  rmSync(slot, { recursive: true, force: true });
  process.exitCode = code ?? 1;
});
