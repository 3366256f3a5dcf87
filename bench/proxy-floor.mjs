// How much of srt's plain-HTTP proxy CPU is srt's own (issue 16's load target). The same Node client
// sends N small GETs, C at a time, to a loopback server through `srt proxy` and through the least a
// Node forward proxy does (http.createServer → one pooled http.request → stream back: no policy, no
// timeouts, only the connection headers dropped so that its upstream connections are kept too), both over TCP on this machine, no sandbox and no bridge; interleaved,
// median of `rounds` runs each. CPU is each proxy process's utime + stime during the requests only
// (start-up left out), per 10,000 requests. When the two are equal, srt's decisions cost nothing
// measurable and what is left is Node's HTTP server and client (and the kernel's sockets).
// `node bench/proxy-floor.mjs [requests] [concurrency] [rounds] [keep|close|fresh|all]`
// (SRT_BENCH_BIN: another build's srt.cjs). Loopback only.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const srt = process.env.SRT_BENCH_BIN ?? join(root, "dist/srt.cjs");
const [n, conc, rounds] = [10_000, 200, 5].map((d, i) => Number(process.argv[2 + i] ?? d));
const arg = process.argv[5] ?? "all";
const modes = arg === "all" ? ["keep", "close", "fresh"] : [arg];
if (process.platform !== "linux") {
  console.log("proxy floor bench: skipped (reads /proc)");
  process.exit(0);
}
const work = mkdtempSync(join(tmpdir(), "srt-bench-floor-"));
const settings = join(work, "settings.json");
writeFileSync(settings, JSON.stringify({ network: { allowedDomains: ["127.0.0.1"] } }));

/** A child that prints one line once it listens; resolves to [child, that line]. */
function start(argv) {
  const c = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    c.stdout.on("data", (d) => {
      out += d;
      if (out.includes("\n")) resolve([c, out.slice(0, out.indexOf("\n"))]);
    });
    c.once("exit", (code) => reject(new Error(`${argv.join(" ")}: exit ${code}`)));
  });
}

const [server, serverPort] = await start([
  process.execPath,
  "-e",
  `require("node:http").createServer((q, r) => r.end("ok")).listen(0, "127.0.0.1", 1024, function () { process.stdout.write(this.address().port + "\\n"); });`,
]);

const floor = join(work, "floor.cjs");
writeFileSync(
  floor,
  `
const http = require("node:http");
const agent = new http.Agent({ keepAlive: true });
http.createServer((req, res) => {
  const u = new URL(req.url);
  delete req.headers.connection;
  delete req.headers["proxy-connection"];
  const up = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method: req.method, headers: req.headers, agent }, (r) => {
    res.writeHead(r.statusCode, r.headers);
    r.pipe(res);
  });
  up.on("error", () => res.destroy());
  req.pipe(up);
}).listen(0, "127.0.0.1", 1024, function () { process.stdout.write(this.address().port + "\\n"); });
`,
);

// argv: proxy port, mode (keep|close|fresh as in load.mjs), origin port, n, conc. Prints "p50 p99 errors".
const client = join(work, "client.cjs");
writeFileSync(
  client,
  `
const http = require("node:http");
const [proxy, mode, port, n, conc] = [Number(process.argv[2]), process.argv[3], ...process.argv.slice(4).map(Number)];
const agent = mode === "fresh" ? false : new http.Agent({ keepAlive: mode === "keep", maxSockets: conc });
let started = 0, errors = 0;
const ms = [];
const one = () => new Promise((resolve) => {
  const t0 = process.hrtime.bigint();
  const req = http.get({ host: "127.0.0.1", port: proxy, path: "http://127.0.0.1:" + port + "/", agent }, (res) => {
    res.resume();
    res.on("end", () => {
      if (res.statusCode !== 200) errors++;
      ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
      resolve();
    });
    res.on("error", () => { errors++; resolve(); });
  });
  req.on("error", () => { errors++; resolve(); });
});
(async () => {
  await Promise.all(Array.from({ length: conc }, async () => { while (started < n) { started++; await one(); } }));
  ms.sort((a, b) => a - b);
  console.log([ms[ms.length >> 1], ms[Math.floor(ms.length * 0.99)], errors].join(" "));
  if (agent) agent.destroy();
})();
`,
);

/** utime + stime of a live process, in seconds (USER_HZ is 100 on Linux). */
function cpuOf(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / 100;
}

/** [p50, p99, errors, proxy CPU s] of one run through a fresh proxy process. */
async function measure(which, mode) {
  const [proxy, ready] = await start(
    which === "srt"
      ? [process.execPath, srt, "proxy", "--settings", settings, "--listen=127.0.0.1:0"]
      : [process.execPath, floor],
  );
  try {
    const port = which === "srt" ? JSON.parse(ready).http.split(":").pop() : ready;
    const before = cpuOf(proxy.pid);
    const c = spawn(process.execPath, [client, port, mode, serverPort, String(n), String(conc)], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    c.stdout.on("data", (d) => (out += d));
    await new Promise((resolve) => c.once("close", resolve));
    return [...out.trim().split(" ").map(Number), cpuOf(proxy.pid) - before];
  } finally {
    proxy.removeAllListeners("exit");
    proxy.kill("SIGKILL");
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
try {
  console.log(`${n} GETs at concurrency ${conc} through srt proxy and a minimal Node proxy, median of ${rounds}`);
  for (const mode of modes) {
    const runs = { srt: [], floor: [] };
    for (let i = 0; i < rounds; i++)
      for (const which of Object.keys(runs)) runs[which].push(await measure(which, mode));
    const per10k = (which) => (median(runs[which].map((r) => r[3])) * 10_000) / n;
    const [s, f] = [per10k("srt"), per10k("floor")];
    const p99 = (which) => median(runs[which].map((r) => r[1])).toFixed(0);
    const errors = (which) => runs[which].reduce((a, r) => a + r[2], 0);
    console.log(
      `  ${mode.padEnd(5)}  CPU s per 10,000: srt ${s.toFixed(2)} minimal ${f.toFixed(2)} (${(s / f).toFixed(2)}×)` +
        ` [${runs.srt.map((r) => r[3].toFixed(2)).join("/")} vs ${runs.floor.map((r) => r[3].toFixed(2)).join("/")}]` +
        `  p99 ms ${p99("srt")} vs ${p99("floor")}  errors ${errors("srt")} vs ${errors("floor")}; load ${loadavg()[0].toFixed(2)}`,
    );
  }
} finally {
  server.kill();
  rmSync(work, { recursive: true, force: true });
}
