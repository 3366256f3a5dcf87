// Plain HTTP under load from inside a real sandbox (issue 16: "10,000 requests with concurrency
// 200 … 0 errors, p99 within 3× of direct at the same concurrency"). A Node client inside
// `srt -c` sends N small GETs, C at a time, to a loopback server through the sandbox's HTTP proxy
// (absolute-form to 127.0.0.1:3128: bridge → unix socket → proxy → server); the same client
// outside the sandbox sends them to the server directly. Both with kept-alive client connections
// and with a new connection per request, interleaved, median of `rounds` runs each.
// "A connection per request" (close) is Node's Agent without keep-alive: it still hands a socket to a
// request already waiting for one, so how many connections it opens depends on how responses bunch
// up in the client's event loop (one new connection per loop turn that ends responses), and the
// proxied client, answered more evenly, opens more than the direct one. The fresh mode (`agent:
// false`: Connection: close, a new connection for every request on both sides) does the same work
// on both sides.
// Besides latency, the CPU time srt's own process (the proxy) and its bridge spent per run: less
// noisy than p99 on a shared machine. The load average is printed with each mode's line.
// `node bench/load.mjs [requests] [concurrency] [rounds] [both|keep|close|fresh|all]` (SRT_BENCH_BIN: another
// build's srt.cjs). Loopback only.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const srt = process.env.SRT_BENCH_BIN ?? join(root, "dist/srt.cjs");
const [n, conc, rounds] = [10_000, 200, 3].map((d, i) => Number(process.argv[2 + i] ?? d));
const modes = {
  both: ["keep", "close"],
  keep: ["keep"],
  close: ["close"],
  fresh: ["fresh"],
  all: ["keep", "close", "fresh"],
}[process.argv[5] ?? "both"];
if (process.platform !== "linux") {
  console.log("load bench: skipped (needs Linux)");
  process.exit(0);
}
const work = mkdtempSync(join(tmpdir(), "srt-bench-load-"));
const settings = join(work, "settings.json");
writeFileSync(settings, JSON.stringify({ network: { allowedDomains: ["127.0.0.1"] } }));

const server = spawn(
  process.execPath,
  [
    "-e",
    `require("node:http").createServer((q, r) => r.end("ok")).listen(0, "127.0.0.1", 1024, function () { process.stdout.write(this.address().port + "\\n"); });`,
  ],
  { stdio: ["ignore", "pipe", "inherit"] },
);
const port = Number(await new Promise((r) => server.stdout.once("data", (d) => r(String(d).trim()))));

// argv: how (direct|proxy), mode (keep|close|fresh), port, n, conc. Prints "p50 p99 errors seconds warm-p99
// new-connections first-in-tail": warm-p99 leaves out the first conc requests (all started at once,
// each on a new connection, through cold code), first-in-tail counts them among the slowest 1 %,
// and new-connections counts requests that did not reuse a connection (in close mode the agent still
// reuses one for a request that waits for it, and makes a new one when none waits).
const client = join(work, "client.cjs");
writeFileSync(
  client,
  `
const http = require("node:http");
const [how, mode, port, n, conc] = [process.argv[2], process.argv[3], ...process.argv.slice(4).map(Number)];
const agent = mode === "fresh" ? false : new http.Agent({ keepAlive: mode === "keep", maxSockets: conc });
const target = how === "direct" ? { port, path: "/" } : { port: 3128, path: "http://127.0.0.1:" + port + "/" };
let started = 0, errors = 0, fresh = 0;
const ms = [], warm = [], first = new Set(), seen = new WeakSet();
const one = () => new Promise((resolve) => {
  const t0 = process.hrtime.bigint();
  const cold = started <= conc;
  const req = http.get({ host: "127.0.0.1", ...target, agent }, (res) => {
    res.resume();
    res.on("end", () => {
      if (res.statusCode !== 200) errors++;
      const t = Number(process.hrtime.bigint() - t0) / 1e6;
      ms.push(t);
      if (cold) first.add(t);
      else warm.push(t);
      resolve();
    });
    res.on("error", () => { errors++; resolve(); });
  });
  req.on("socket", (s) => { if (!seen.has(s)) fresh++; seen.add(s); });
  req.on("error", () => { errors++; resolve(); });
});
(async () => {
  const t0 = Date.now();
  await Promise.all(Array.from({ length: conc }, async () => { while (started < n) { started++; await one(); } }));
  ms.sort((a, b) => a - b);
  warm.sort((a, b) => a - b);
  const tail = ms.slice(Math.floor(ms.length * 0.99)).filter((t) => first.has(t)).length;
  const p99 = (xs) => xs[Math.floor(xs.length * 0.99)] ?? NaN;
  console.log([ms[ms.length >> 1], p99(ms), errors, (Date.now() - t0) / 1000, p99(warm), fresh, tail].join(" "));
  if (agent) agent.destroy();
  // Through srt: a moment for the bench to read srt's CPU time while the run is still alive.
  if (how !== "direct") setTimeout(() => undefined, 300);
})();
`,
);

/** utime + stime of a live process, in seconds (USER_HZ is 100 on Linux). */
function cpuOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}

/** CPU seconds of srt (pid) and of its srt-bridge child, read while the run is alive. */
function srtCpu(pid) {
  let bridge = NaN;
  try {
    for (const t of readdirSync(`/proc/${pid}/task`))
      for (const child of readFileSync(`/proc/${pid}/task/${t}/children`, "utf8").trim().split(" ").filter(Boolean))
        if (readFileSync(`/proc/${child}/comm`, "utf8").trim() === "srt-bridge") bridge = cpuOf(child);
  } catch {
    // the run ended first: NaN says so
  }
  return [cpuOf(pid), bridge];
}

// Resolves to the client's seven numbers, then srt's and the bridge's CPU s (NaN when direct).
function measure(how, mode) {
  const inner = [process.execPath, client, how, mode, String(port), String(n), String(conc)];
  const argv = how === "direct" ? inner : [process.execPath, srt, "--settings", settings, "-c", inner.join(" ")];
  return new Promise((resolve, reject) => {
    const c = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    let cpu = [NaN, NaN];
    c.stdout.on("data", (d) => {
      out += d;
      if (how !== "direct" && out.includes("\n") && Number.isNaN(cpu[0])) cpu = srtCpu(c.pid);
    });
    c.on("close", (code) =>
      code === 0
        ? resolve([...out.trim().split(" ").map(Number), ...cpu])
        : reject(new Error(`${how}: exit ${code}, ${out}`)),
    );
  });
}

try {
  await measure("direct", "keep"); // warm-up
  console.log(`${n} GETs at concurrency ${conc}, median of ${rounds} interleaved runs (ms)`);
  const titles = {
    keep: "kept-alive connections ",
    close: "a connection per request",
    fresh: "fresh (agent: false)    ",
  };
  for (const mode of modes) {
    const runs = { direct: [], proxy: [] };
    for (let i = 0; i < rounds; i++) for (const how of Object.keys(runs)) runs[how].push(await measure(how, mode));
    const mid = (r) => [...r].sort((a, b) => a[1] - b[1])[r.length >> 1];
    const [d, p] = [mid(runs.direct), mid(runs.proxy)];
    const errors = runs.proxy.reduce((s, r) => s + r[2], 0);
    const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
    const srtS = median(runs.proxy.map((r) => r[7]));
    const bridgeS = median(runs.proxy.map((r) => r[8]));
    const [warmP, warmD] = [median(runs.proxy.map((r) => r[4])), median(runs.direct.map((r) => r[4]))];
    const fresh = (r) => median(r.map((x) => x[5])).toFixed(0);
    const tail = median(runs.proxy.map((r) => r[6]));
    console.log(
      `  ${titles[mode]}  direct p50 ${d[0].toFixed(1)} p99 ${d[1].toFixed(1)}` +
        `  sandbox via the proxy p50 ${p[0].toFixed(1)} p99 ${p[1].toFixed(1)} (p99 ${(p[1] / d[1]).toFixed(2)}× direct; target ≤ 3×)` +
        `  errors ${errors} in ${rounds} runs; p99 per run ${runs.proxy.map((r) => r[1].toFixed(0)).join("/")} vs ${runs.direct.map((r) => r[1].toFixed(0)).join("/")}` +
        `; CPU s (median) srt ${srtS.toFixed(2)} bridge ${bridgeS.toFixed(2)}; load ${loadavg()[0].toFixed(2)}` +
        `\n    without the first ${conc} (cold, all new connections): p99 ${warmP.toFixed(1)} vs ${warmD.toFixed(1)} (${(warmP / warmD).toFixed(2)}×);` +
        ` of the slowest 1 % through the proxy ${tail} were among them; new connections ${fresh(runs.proxy)} vs ${fresh(runs.direct)}`,
    );
  }
} finally {
  server.kill();
  rmSync(work, { recursive: true, force: true });
}
