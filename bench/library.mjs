// Per-command cost of the library (issues 14 and 19): `createSandbox().spawn(...)` and the
// SandboxManager shim (`wrapWithSandbox` + the caller's `spawn(line, { shell: true })`), against
// bare bwrap with the same mounts and seccomp program (the sandbox's own argument file), all in
// this one process and run. The shim runs its command under bash (`bash -c true`), so spawn runs
// the same `bash -c true`; bare bwrap runs `true`. Targets: spawn ≤ 2× bare, shim ≤ 2× bare and
// shim ≤ 1.2× spawn. A policy that reaches no host (the commands of an agent's shell mostly do):
// with network access each command also bridges the proxies into its own network namespace.
import { spawn, spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { fmt } from "./_measure.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const bwrap = spawnSync("sh", ["-c", "command -v bwrap"], { encoding: "utf8" }).stdout.trim();
if (process.platform !== "linux" || bwrap === "") {
  console.log("library bench: skipped (needs Linux with bwrap)");
  process.exit(0);
}
const { createSandbox, createSandboxManager } = await import(`${root}dist/index.mjs`);
const runs = 31;
const cwd = mkdtempSync(join(tmpdir(), "srt-bench-library-"));
const settings = { filesystem: { denyRead: ["~/.ssh"] } };

const ended = (child) =>
  new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`exited ${code}`))));
  });

/** Median wall time of `once()`, the three paths interleaved so that load drifts hit them alike. */
async function medians(paths) {
  const times = Object.fromEntries(Object.keys(paths).map((k) => [k, []]));
  for (const once of Object.values(paths)) await once(); // warm-up: first-use set-up is not per-command cost
  for (let i = 0; i < runs; i++)
    for (const [name, once] of Object.entries(paths)) {
      const t0 = performance.now();
      await once();
      times[name].push(performance.now() - t0);
    }
  return Object.fromEntries(
    Object.entries(times).map(([k, t]) => [k, t.sort((a, b) => a - b)[Math.floor(t.length / 2)]]),
  );
}

const sandbox = await createSandbox(settings, { cwd });
const manager = createSandboxManager();
await manager.initialize(settings, undefined, { cwd });
try {
  // The sandbox's own bwrap options and seccomp program, as its offline wrap() hands them to bwrap.
  const w = sandbox.wrap(["true"]);
  const [argsFile, seccompFile] = [w.argv[3], w.argv[4]];
  const m = await medians({
    bare: async () => {
      const fds = [openSync(argsFile, "r"), openSync(seccompFile, "r")];
      try {
        await ended(spawn(bwrap, ["--args", "3", "--", "true"], { stdio: ["ignore", "ignore", "ignore", ...fds] }));
      } finally {
        for (const fd of fds) closeSync(fd);
      }
    },
    spawn: async () => {
      const r = await sandbox.spawn("bash", ["-c", "true"], { stdio: "ignore" }).exited;
      if (r.status !== 0) throw new Error(`spawn: ${r.status} ${r.failure ?? ""}`);
    },
    shim: async () => {
      const line = await manager.wrapWithSandbox("true");
      await ended(spawn(line, { shell: true, stdio: "ignore" }));
    },
  });
  const verdict = (ok) => (ok ? "met" : "MISSED");
  console.log(`medians of ${runs} commands each, interleaved (offline policy)`);
  console.log(`${"bare bwrap, same mounts: true".padEnd(40)} ${fmt(m.bare).padStart(9)}`);
  console.log(
    `${"createSandbox().spawn('bash -c true')".padEnd(40)} ${fmt(m.spawn).padStart(9)}  ×${(m.spawn / m.bare).toFixed(2)} bare  target ≤ 2×: ${verdict(m.spawn <= 2 * m.bare)}`,
  );
  console.log(
    `${"SandboxManager wrapWithSandbox + spawn".padEnd(40)} ${fmt(m.shim).padStart(9)}  ×${(m.shim / m.bare).toFixed(2)} bare  target ≤ 2×: ${verdict(m.shim <= 2 * m.bare)}; ×${(m.shim / m.spawn).toFixed(2)} spawn  target ≤ 1.2×: ${verdict(m.shim <= 1.2 * m.spawn)}`,
  );
} finally {
  await manager.reset();
  await sandbox.close();
  rmSync(cwd, { recursive: true, force: true });
}
