// Where a library sandbox's proxies run (issue 14): in the caller's event loop ("loop", createSandbox's
// default) or in a worker thread ("thread", the SandboxManager shim's, so that spawnSync/execSync callers
// reach them). Costs, as ratios to "loop" in the same run: setting up a sandbox with network access,
// one plain-HTTP request through the HTTP proxy's socket to a loopback server, and close(). A child
// process would pay at least a Node start-up of the CLI bundle (`srt --version`), shown for comparison.
import http from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { fmt, medianMs } from "./_measure.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
if (process.platform !== "linux") {
  console.log("proxy-thread bench: skipped (needs Linux)");
  process.exit(0);
}
const { createSandbox } = await import(`${root}dist/index.mjs`);
const cwd = mkdtempSync(join(tmpdir(), "srt-bench-proxy-thread-"));
const server = http.createServer((_q, r) => r.end("ok"));
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const port = server.address().port;
const settings = { network: { allowedDomains: [`127.0.0.1:${port}`] } };
const median = (t) => [...t].sort((a, b) => a - b)[Math.floor(t.length / 2)];

function get(socketPath) {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, path: `http://127.0.0.1:${port}/`, agent: false });
    req.on("response", (res) => (res.resume(), res.on("end", resolve)));
    req.on("error", reject);
    req.end();
  });
}

const kinds = ["loop", "thread"];
const times = Object.fromEntries(kinds.map((k) => [k, { start: [], request: [], close: [] }]));
try {
  for (let round = 0; round < 7; round++)
    for (const proxiesIn of kinds) {
      let t0 = performance.now();
      const s = await createSandbox(settings, { cwd, proxiesIn });
      times[proxiesIn].start.push(performance.now() - t0);
      const w = s.wrap(["true"]); // the proxies' directory is the one `srt exec --proxies` is given
      const dir = w.argv[w.argv.indexOf("--proxies") + 1];
      await get(join(dir, "http.sock")); // warm-up
      for (let i = 0; i < 30; i++) {
        t0 = performance.now();
        await get(join(dir, "http.sock"));
        times[proxiesIn].request.push(performance.now() - t0);
      }
      t0 = performance.now();
      await s.close();
      times[proxiesIn].close.push(performance.now() - t0);
    }
  const node = medianMs([process.execPath, `${root}dist/srt.cjs`, "--version"], { runs: 11 });
  const m = Object.fromEntries(
    kinds.map((k) => [k, Object.fromEntries(Object.entries(times[k]).map(([n, t]) => [n, median(t)]))]),
  );
  console.log("medians, proxies in this thread's loop vs in a worker thread (machine load makes absolutes noisy)");
  for (const what of ["start", "request", "close"])
    console.log(
      `${`${what}:`.padEnd(9)} loop ${fmt(m.loop[what]).padStart(9)}  thread ${fmt(m.thread[what]).padStart(9)}  ×${(m.thread[what] / m.loop[what]).toFixed(2)}  (+${fmt(m.thread[what] - m.loop[what])})`,
    );
  console.log(
    `a child process would start at least one Node with the CLI bundle: srt --version ${fmt(node)} (${(node / (m.thread.start - m.loop.start)).toFixed(1)}× the thread's extra start-up)`,
  );
} finally {
  server.close();
  rmSync(cwd, { recursive: true, force: true });
}
