// Proxy bench (run by hand: `node bench/proxy.mjs [MiB]`): bulk download of
// 1 GiB from a loopback HTTP server, direct vs through srt's HTTP proxy
// (CONNECT over its unix socket, the way the sandbox bridge reaches it), and
// the median set-up latency of 200 CONNECTs vs 200 direct connects. The
// download is also measured against the proxy's TCP listener, to separate the
// proxy's own cost from the bridge's. Then 1,000 sequential small GETs on one kept-alive
// client connection (issue 19's plain-HTTP target: p50 ≤ 0.5 ms): direct to the server, over one
// CONNECT tunnel, and as absolute-form requests that the proxy decides and forwards one by one.
// The client runs in a process of its own, like the server. `node bench/proxy.mjs [MiB] [--latency]`
// (--latency: only the request rows). Prints ratios; absolute numbers depend on the machine. Loopback only.
import { build } from "esbuild";
import { mkdtempSync, rmSync } from "node:fs";
import { spawn } from "node:child_process";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { bulkServer, MiB } from "./_download.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const work = mkdtempSync(join(tmpdir(), "srt-bench-proxy-"));
const bundle = join(work, "proxy.mjs");
// Bundle the proxy module itself so the bench measures our code, not a TS loader.
await build({
  entryPoints: [`${root}src/runtime/proxy/index.ts`],
  outfile: bundle,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  logLevel: "warning",
});
const { createHttpProxy } = await import(bundle);

const args = process.argv.slice(2);
const latencyOnly = args.includes("--latency");
const total = Number(args.find((a) => !a.startsWith("--")) ?? 1024) * MiB;

// The server runs in its own process, as a real one would: in-process it would
// share the event loop (and the CPU core) with the proxy being measured.
const bulk = await bulkServer(total);
const port = bulk.port;

const proxy = createHttpProxy({
  network: {
    rules: [
      {
        kind: "net",
        effect: "allow",
        host: { kind: "ipv4", address: "127.0.0.1" },
        source: "127.0.0.1",
        origin: "bench",
      },
    ],
    deniedResolvedAddresses: [],
  },
  onViolation: () => {},
  resolve: async () => ["127.0.0.1"],
});
const sock = join(work, "http.sock");
await proxy.listen({ path: sock });
const tcpProxy = (await proxy.listen({ port: 0 })).port;

/** A socket to the server, direct or through a CONNECT tunnel on the unix socket. */
function open(viaProxy) {
  return new Promise((resolve, reject) => {
    if (!viaProxy) {
      const s = net.connect(port, "127.0.0.1", () => resolve(s));
      s.once("error", reject);
      return;
    }
    const s = net.connect(sock, () => s.write(`CONNECT 127.0.0.1:${port} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`));
    s.once("error", reject);
    let head = "";
    const onData = (d) => {
      head += d.toString("latin1");
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) return;
      s.removeListener("data", onData);
      s.pause();
      if (!head.startsWith("HTTP/1.1 200")) return reject(new Error(head));
      resolve(s);
    };
    s.on("data", onData);
  });
}

// The sandbox's path: client → TCP 127.0.0.1:PORT → socat bridge → the proxy's
// unix socket (DESIGN §3). curl is the client; the bridge is the same socat.
const bridgePort = 20000 + (process.pid % 20000);
const bridge = spawn("socat", [`TCP-LISTEN:${bridgePort},bind=127.0.0.1,reuseaddr,fork`, `UNIX-CONNECT:${sock}`], {
  stdio: "ignore",
});
await new Promise((r) => setTimeout(r, 300));

/** MiB/s for one full download; curl runs async because the proxy lives in this process. */
function download(how) {
  const proxyArgs =
    how === "direct" ? [] : ["-p", "-x", `http://127.0.0.1:${how === "bridge" ? bridgePort : tcpProxy}`];
  const child = spawn(
    "curl",
    [
      "-sS",
      "-o",
      "/dev/null",
      "-w",
      "%{size_download} %{speed_download}",
      ...proxyArgs,
      `http://127.0.0.1:${port}/big`,
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  return new Promise((resolve, reject) =>
    child.on("close", (code) => {
      const [size, speed] = out.split(" ").map(Number);
      if (code !== 0 || size < total) reject(new Error(`curl ${how}: exit ${code}, ${out}`));
      else resolve(speed / MiB);
    }),
  );
}

async function medianConnectMs(viaProxy, n = 200) {
  const times = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    const s = await open(viaProxy);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    s.destroy();
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(n / 2)];
}

function small(how) {
  const child = spawn(process.execPath, [`${root}bench/_sequential.cjs`, how, String(port), String(tcpProxy)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  return new Promise((resolve, reject) =>
    child.on("close", (code) =>
      code === 0 ? resolve(out.trim().split(" ").map(Number)) : reject(new Error(`${how}: exit ${code}`)),
    ),
  );
}
async function latency() {
  await small("proxy"); // warm-up (JIT)
  // Interleaved, median of 3 runs each.
  const runs = { direct: [], tunnel: [], proxy: [] };
  for (let i = 0; i < 3; i++) for (const how of Object.keys(runs)) runs[how].push(await small(how));
  const mid = (r) => [...r].sort((a, b) => a[0] - b[0])[1];
  const [d, t, p] = Object.values(runs).map(mid);
  const row = (name, [p50, p99]) =>
    `  ${name.padEnd(44)} p50 ${p50.toFixed(3)} ms (${(p50 / d[0]).toFixed(1)}×)  p99 ${p99.toFixed(3)} ms (${(p99 / d[1]).toFixed(1)}×)`;
  console.log("1,000 sequential small GETs on one kept-alive connection (median of 3 interleaved runs)");
  console.log(row("direct", d));
  console.log(row("one CONNECT tunnel (node copy)", t));
  console.log(`${row("absolute-form, each request decided", p)}  (issue target p50 ≤ 0.5 ms)`);
}

try {
  if (latencyOnly) await latency();
  else await full();
} finally {
  await proxy.close();
  bridge.kill();
  bulk.stop();
  rmSync(work, { recursive: true, force: true });
}

async function full() {
  await download("direct"); // warm-up
  // Interleaved, best of 3 each: the machine's noise hits every variant alike.
  const runs = { direct: [], tcp: [], bridge: [] };
  for (let i = 0; i < 3; i++) for (const how of Object.keys(runs)) runs[how].push(await download(how));
  const [d, t, b] = Object.values(runs).map((r) => Math.max(...r));
  console.log(`bulk ${total / MiB} MiB (curl, best of 3): direct ${d.toFixed(0)} MiB/s`);
  console.log(
    `  via the proxy's TCP listener (CONNECT)            ${t.toFixed(0)} MiB/s, ratio ${(t / d).toFixed(2)}×`,
  );
  console.log(
    `  via socat bridge → unix socket → proxy (sandbox)  ${b.toFixed(0)} MiB/s, ratio ${(b / d).toFixed(2)}× (issue target ≥ 0.8×)`,
  );
  const cd = await medianConnectMs(false);
  const cp = await medianConnectMs(true);
  console.log(
    `connect set-up, median of 200 (Node client): direct ${cd.toFixed(3)} ms, CONNECT over the unix socket ${cp.toFixed(3)} ms, ratio ${(cp / cd).toFixed(1)}×, +${(cp - cd).toFixed(3)} ms`,
  );
  await latency();
}
