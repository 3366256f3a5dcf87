// TLS-termination bench (`npm run bench tls`, or `node bench/tls.mjs [MiB]`):
// the same HTTPS server on loopback reached through srt's HTTP proxy twice in
// one run, over an opaque CONNECT tunnel and over a TLS-terminated one
// (network.tlsTerminate), and reported as ratios terminated / opaque:
//   - set-up: median of 200 sequential fresh requests (CONNECT, TLS handshake,
//     one small GET, close) from a client in its own process;
//   - bulk: curl downloading MiB from the server, best of 3, interleaved.
// The server's certificate comes from an openssl test CA given to srt as an
// extra root, as tlsTerminate.extraCaCertPaths does. Loopback only.
import { build } from "esbuild";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const work = mkdtempSync(join(tmpdir(), "srt-bench-tls-"));
const bundle = join(work, "entry.mjs");
await build({
  entryPoints: [`${root}test/support/bench-tls-entry.ts`],
  outfile: bundle,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  logLevel: "warning",
});
const { createHttpProxy, createTlsTerminator, loadTrust, ephemeralAuthority } = await import(bundle);

const MiB = 1 << 20;
const total = Number(process.argv[2] ?? 512) * MiB;
const openssl = (args) => {
  const r = spawnSync("openssl", args, { encoding: "utf8", cwd: work });
  if (r.status !== 0) throw new Error(`openssl ${args.join(" ")}: ${r.stderr}`);
};
const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
openssl([
  "req",
  "-x509",
  ...ec,
  "-subj",
  "/CN=bench CA",
  "-days",
  "1",
  "-addext",
  "keyUsage=critical,keyCertSign,cRLSign",
  "-keyout",
  "ca.key",
  "-out",
  "ca.pem",
]);
openssl(["req", ...ec, "-subj", "/CN=127.0.0.1", "-keyout", "srv.key", "-out", "srv.csr"]);
writeFileSync(join(work, "ext"), "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
openssl([
  "x509",
  "-req",
  "-in",
  "srv.csr",
  "-CA",
  "ca.pem",
  "-CAkey",
  "ca.key",
  "-CAcreateserial",
  "-days",
  "1",
  "-extfile",
  "ext",
  "-out",
  "srv.pem",
]);

const serverSource = `
const https = require("node:https"); const fs = require("node:fs");
const total = ${total}; const chunk = Buffer.alloc(4 << 20, 0x61);
const server = https.createServer({ key: fs.readFileSync(${JSON.stringify(join(work, "srv.key"))}), cert: fs.readFileSync(${JSON.stringify(join(work, "srv.pem"))}) }, (req, res) => {
  if (req.url !== "/big") return res.end("ok");
  res.writeHead(200, { "Content-Length": String(total) });
  let sent = 0;
  const pump = () => {
    while (sent < total) {
      const n = Math.min(chunk.length, total - sent);
      sent += n;
      if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void res.once("drain", pump);
    }
    res.end();
  };
  pump();
});
server.listen(0, "127.0.0.1", () => process.stdout.write(String(server.address().port) + "\\n"));
`;
const serverChild = spawn(process.execPath, ["-e", serverSource], { stdio: ["ignore", "pipe", "inherit"] });
const port = Number(await new Promise((resolve) => serverChild.stdout.once("data", (d) => resolve(String(d).trim()))));

const network = {
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
};
const authority = ephemeralAuthority();
const trust = loadTrust([join(work, "ca.pem")], { env: {}, readFile: (p) => readFileSync(p, "utf8") });
writeFileSync(join(work, "bundle.pem"), trust.bundle(authority.certPem));
const policy = {
  excludeDomains: [],
  extraCaCertPaths: [],
  maxTunnels: 256,
  handshakeTimeoutMs: 10_000,
  origin: "bench",
};
const base = { network, onViolation: () => {}, resolve: async () => ["127.0.0.1"] };
const proxies = {
  opaque: createHttpProxy(base),
  terminated: createHttpProxy({ ...base, tls: createTlsTerminator({ authority, trust, policy }) }),
};
const ports = {};
for (const [k, p] of Object.entries(proxies)) ports[k] = (await p.listen({ port: 0, host: "127.0.0.1" })).port;
// The client trusts the bundle srt gives a sandbox: test CA (for the opaque path) and srt's CA.
const caFile = join(work, "bundle.pem");

const clientSource = `
const net = require("node:net"); const tls = require("node:tls"); const fs = require("node:fs");
const ca = fs.readFileSync(${JSON.stringify(caFile)}, "utf8");
const [proxyPort, n] = process.argv.slice(1).map(Number);
function once() {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const s = net.connect(proxyPort, "127.0.0.1", () => s.write("CONNECT 127.0.0.1:${port} HTTP/1.1\\r\\nHost: 127.0.0.1:${port}\\r\\n\\r\\n"));
    s.once("error", reject);
    let head = "";
    const onHead = (d) => {
      head += d.toString("latin1");
      if (!head.includes("\\r\\n\\r\\n")) return;
      s.removeListener("data", onHead);
      const t = tls.connect({ socket: s, host: "127.0.0.1", ca }, () => t.write("GET /small HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nConnection: close\\r\\n\\r\\n"));
      t.once("error", reject);
      let body = "";
      t.on("data", (d) => (body += d));
      t.on("end", () => { if (!body.includes("ok")) return reject(new Error(body)); resolve(Number(process.hrtime.bigint() - t0) / 1e6); t.destroy(); });
    };
    s.on("data", onHead);
  });
}
(async () => { const times = []; for (let i = 0; i < n; i++) times.push(await once()); times.sort((a, b) => a - b); process.stdout.write(String(times[Math.floor(n / 2)])); })().catch((e) => { console.error(e); process.exit(1); });
`;
function setupMedian(which, n = 200) {
  const child = spawn(process.execPath, ["-e", clientSource, String(ports[which]), String(n)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  return new Promise((resolve, reject) =>
    child.on("close", (code) =>
      code === 0 ? resolve(Number(out)) : reject(new Error(`client ${which}: exit ${code}`)),
    ),
  );
}

function download(which) {
  const child = spawn(
    "curl",
    [
      "-sS",
      "-o",
      "/dev/null",
      "-w",
      "%{size_download} %{speed_download}",
      "--cacert",
      caFile,
      "-p",
      "-x",
      `http://127.0.0.1:${ports[which]}`,
      `https://127.0.0.1:${port}/big`,
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  return new Promise((resolve, reject) =>
    child.on("close", (code) => {
      const [size, speed] = out.split(" ").map(Number);
      if (code !== 0 || size < total) reject(new Error(`curl ${which}: exit ${code}, ${out}`));
      else resolve(speed / MiB);
    }),
  );
}

try {
  await setupMedian("opaque", 20); // warm-up
  await setupMedian("terminated", 20);
  const so = await setupMedian("opaque");
  const st = await setupMedian("terminated");
  console.log(
    `HTTPS request set-up, median of 200 (CONNECT + handshake + small GET): opaque ${so.toFixed(2)} ms, TLS-terminated ${st.toFixed(2)} ms, ratio ${(st / so).toFixed(2)}×`,
  );
  const runs = { opaque: [], terminated: [] };
  for (let i = 0; i < 3; i++) for (const k of Object.keys(runs)) runs[k].push(await download(k));
  const [o, t] = Object.values(runs).map((r) => Math.max(...r));
  console.log(
    `bulk HTTPS ${total / MiB} MiB (curl, best of 3): opaque tunnel ${o.toFixed(0)} MiB/s, TLS-terminated ${t.toFixed(0)} MiB/s, ratio ${(t / o).toFixed(2)}×`,
  );
} finally {
  await Promise.all(Object.values(proxies).map((p) => p.close()));
  serverChild.kill();
  rmSync(work, { recursive: true, force: true });
}
