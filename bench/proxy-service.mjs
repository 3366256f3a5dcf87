// srt proxy as a service (what a Kubernetes egress Deployment runs): plain-HTTP requests/s and
// latency at concurrency 50, CONNECT set-up, RSS idle and holding 1,000 tunnels, plain-HTTP bulk.
// Client and servers share this machine: the figures size one proxy replica (docs/scale-out.md).

import http from "node:http";
import net from "node:net";
import { spawn } from "node:child_process";
import { writeFileSync, readFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
const dir = mkdtempSync(join(tmpdir(), "pxb-"));
const server = http
  .createServer((req, res) => {
    res.end("ok");
  })
  .listen(0, "127.0.0.1");
await new Promise((r) => server.once("listening", r));
const port = server.address().port;
const big = Buffer.alloc(1 << 20, 1);
const bulk = http
  .createServer((req, res) => {
    let n = 256;
    res.writeHead(200);
    const w = () => {
      while (n > 0) {
        n--;
        if (!res.write(big)) return res.once("drain", w);
      }
      res.end();
    };
    w();
  })
  .listen(0, "127.0.0.1");
await new Promise((r) => bulk.once("listening", r));
writeFileSync(
  join(dir, "s.json"),
  JSON.stringify({
    network: { allowedDomains: [`127.0.0.1:${port}`, `127.0.0.1:${bulk.address().port}`, "127.0.0.1"] },
  }),
);
const p = spawn(
  process.execPath,
  [
    fileURLToPath(new URL("../dist/srt.cjs", import.meta.url)),
    "proxy",
    "--settings",
    join(dir, "s.json"),
    "--listen",
    "127.0.0.1:0",
  ],
  { cwd: dir, env: { ...process.env, HOME: "/nonexistent" }, stdio: ["ignore", "pipe", "inherit"] },
);
const ready = await new Promise((r) => p.stdout.once("data", (d) => r(JSON.parse(d.toString().split("\n")[0]))));
const [ph, pp] = [ready.http.split(":")[0], Number(ready.http.split(":")[1])];
const rss = () => Number(readFileSync(`/proc/${p.pid}/status`, "utf8").match(/VmRSS:\s+(\d+)/)[1]) / 1024;
const agent = new http.Agent({ keepAlive: true, maxSockets: 50 });
async function plain(n, conc) {
  let done = 0,
    errors = 0;
  const lat = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: conc }, async () => {
      while (done < n) {
        done++;
        const s = performance.now();
        await new Promise((res) => {
          const r = http.request({ host: ph, port: pp, path: `http://127.0.0.1:${port}/`, agent }, (x) => {
            x.resume();
            x.on("end", res);
          });
          r.on("error", () => {
            errors++;
            res();
          });
          r.end();
        });
        lat.push(performance.now() - s);
      }
    }),
  );
  lat.sort((a, b) => a - b);
  return {
    rps: n / ((performance.now() - t0) / 1000),
    p50: lat[lat.length >> 1],
    p99: lat[Math.floor(lat.length * 0.99)],
    errors,
  };
}
async function tunnels(n) {
  const socks = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i++)
    socks.push(
      await new Promise((res, rej) => {
        const s = net.connect(pp, ph, () => s.write(`CONNECT 127.0.0.1:${port} HTTP/1.1\r\nHost: x\r\n\r\n`));
        s.once("data", () => res(s));
        s.once("error", rej);
      }),
    );
  const ms = (performance.now() - t0) / n;
  const held = rss();
  socks.forEach((s) => s.destroy());
  return { perTunnelMs: ms, rssHeld: held };
}
async function bulkGet() {
  const t0 = performance.now();
  let bytes = 0;
  await new Promise((res) =>
    http.get({ host: ph, port: pp, path: `http://127.0.0.1:${bulk.address().port}/` }, (x) => {
      x.on("data", (d) => (bytes += d.length));
      x.on("end", res);
    }),
  );
  return bytes / 1048576 / ((performance.now() - t0) / 1000);
}
const base = rss();
const r1 = await plain(5000, 50);
const t = await tunnels(1000);
await new Promise((r) => setTimeout(r, 1000));
const mb = await bulkGet();
console.log(
  JSON.stringify({
    rssIdleMiB: base.toFixed(1),
    plain: { rps: r1.rps.toFixed(0), p50ms: r1.p50.toFixed(2), p99ms: r1.p99.toFixed(2), errors: r1.errors },
    tunnels1000: { setupMsEach: t.perTunnelMs.toFixed(2), rssHeldMiB: t.rssHeld.toFixed(1) },
    plainBulkMiBps: mb.toFixed(0),
    rssAfterMiB: rss().toFixed(1),
  }),
);
p.kill("SIGTERM");
server.close();
bulk.close();
agent.destroy();
setTimeout(() => process.exit(0), 500);
