// The proxy bridge into the sandbox (issue 19): srt's own dist/native/srt-bridge against the
// socat fallback (setpriv → nsenter → socat per port; a copy of dist/ without srt-bridge), in
// the same run, interleaved. `node bench/bridge.mjs [MiB] [rounds]`:
//  - start-up: `srt -- true` with no network (the refusing endpoint, bridged) and with an
//    allowed domain (the proxies, bridged), medians of interleaved runs;
//  - bulk: curl inside the sandbox downloads MiB from a loopback server through the CONNECT
//    bridge (3128); throughput and the bridge's CPU seconds per GiB (the bridge processes and
//    their per-connection children, sampled from /proc);
//  - 1,000 sequential small requests, each on a new connection through the bridge (absolute-form
//    to the HTTP proxy), p50 and p99: what a bridge costs per connection.
// Loopback only. Timings on a shared machine are noisy: read the ratios.
import { spawn, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const MiB = 1 << 20;
const total = Number(process.argv[2] ?? 256) * MiB;
const rounds = Number(process.argv[3] ?? 3);
const hasCurl = spawnSync("sh", ["-c", "command -v curl && command -v socat"], { stdio: "ignore" }).status === 0;
if (process.platform !== "linux" || !hasCurl) {
  console.log("bridge bench: skipped (needs Linux, curl and socat)");
  process.exit(0);
}
const work = mkdtempSync(join(tmpdir(), "srt-bench-bridge-"));
const online = join(work, "online.json");
const offline = join(work, "offline.json");
writeFileSync(online, JSON.stringify({ network: { allowedDomains: ["127.0.0.1"] } }));
writeFileSync(offline, JSON.stringify({}));
const fallback = join(work, "socat");
cpSync(join(root, "package.json"), join(fallback, "package.json"));
cpSync(join(root, "dist"), join(fallback, "dist"), { recursive: true });
for (const d of ["", "linux-x64/", "linux-arm64/"])
  rmSync(join(fallback, `dist/native/${d}srt-bridge`), { force: true });
symlinkSync(join(root, "node_modules"), join(fallback, "node_modules"));
const kinds = [
  ["srt-bridge", root],
  ["socat", fallback],
];

const serverSource = `
const http = require("node:http");
const chunk = Buffer.alloc(1 << 20, 0x61);
http.createServer((req, res) => {
  if (req.url === "/small") return res.end("ok");
  const total = ${total};
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
}).listen(0, "127.0.0.1", function () { process.stdout.write(this.address().port + "\\n"); });
`;
const server = spawn(process.execPath, ["-e", serverSource], { stdio: ["ignore", "pipe", "inherit"] });
const port = Number(await new Promise((r) => server.stdout.once("data", (d) => r(String(d).trim()))));
const url = `http://127.0.0.1:${port}/`;
const hz = 100; // USER_HZ

const stat = (pid) => {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  } catch {
    return undefined;
  }
};
const childrenOf = (pid) => {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
};
const comm = (pid) => {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "";
  }
};
/** CPU seconds of srt's bridge processes: their own, their reaped children's, their live children's. */
const bridgeCpu = (srtPid) => {
  let s = 0;
  for (const b of childrenOf(srtPid)) {
    if (!["srt-bridge", "socat"].includes(comm(b))) continue;
    const f = stat(b);
    if (f) s += (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / hz;
    for (const c of childrenOf(b)) {
      const g = stat(c);
      if (g) s += (Number(g[11]) + Number(g[12])) / hz;
    }
  }
  return s;
};

function run(argv, sample) {
  return new Promise((resolve, reject) => {
    const c = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    c.stdout.on("data", (d) => (out += d));
    c.stderr.on("data", (d) => (err += d));
    let cpu = 0;
    const timer = sample && setInterval(() => (cpu = Math.max(cpu, bridgeCpu(c.pid))), 20);
    c.on("close", (code) => {
      if (timer) clearInterval(timer);
      if (code !== 0) reject(new Error(`${argv.join(" ")}: exit ${code}, ${out} ${err}`));
      else resolve({ out: out.trim(), cpu });
    });
  });
}
const srt = (pkg, settings, script) => [
  process.execPath,
  join(pkg, "dist/srt.mjs"),
  "--settings",
  settings,
  "-c",
  script,
];
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const smallScript = join(work, "small.cjs");
writeFileSync(
  smallScript,
  `
const http = require("node:http");
const agent = new http.Agent({ keepAlive: false });
const get = () => new Promise((resolve, reject) => {
  const req = http.get({ host: "127.0.0.1", port: 3128, path: "${url}small", agent }, (res) => { res.resume(); res.on("end", resolve); });
  req.on("error", reject);
});
(async () => {
  const ms = [];
  for (let i = 0; i < 1000; i++) { const t0 = process.hrtime.bigint(); await get(); ms.push(Number(process.hrtime.bigint() - t0) / 1e6); }
  ms.sort((a, b) => a - b);
  console.log(ms[500].toFixed(3) + " " + ms[990].toFixed(3));
})();
`,
);

try {
  const runs = 21;
  const times = { "srt-bridge": { offline: [], online: [] }, socat: { offline: [], online: [] } };
  for (let i = 0; i < runs; i++)
    for (const [name, pkg] of kinds)
      for (const [mode, settings] of [
        ["offline", offline],
        ["online", online],
      ]) {
        const t0 = process.hrtime.bigint();
        await run(srt(pkg, settings, "true"));
        times[name][mode].push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
  console.log(`start-up, medians of ${runs} interleaved runs (ms)`);
  for (const mode of ["offline", "online"]) {
    const n = median(times["srt-bridge"][mode]);
    const s = median(times.socat[mode]);
    console.log(
      `  srt -- true, ${mode === "offline" ? "no network    " : "allowed domain"}  srt-bridge ${n.toFixed(1)}  socat ${s.toFixed(1)}  (${(s - n).toFixed(1)} ms saved, ×${(n / s).toFixed(2)})`,
    );
  }
  console.log(`bulk ${total / MiB} MiB through the CONNECT bridge, ${rounds} rounds (MiB/s, bridge CPU s/GiB)`);
  const w = "-s -o /dev/null -w '%{size_download} %{speed_download}' -p -x http://127.0.0.1:3128";
  for (let i = 0; i < rounds; i++) {
    const line = [];
    for (const [name, pkg] of kinds) {
      const r = await run(srt(pkg, online, `curl ${w} ${url}`), true);
      const [size, speed] = r.out.split(" ").map(Number);
      if (size < total) throw new Error(`short download: ${r.out}`);
      line.push(`${name} ${(speed / MiB).toFixed(0)} MiB/s ${((r.cpu * 1024 * MiB) / total).toFixed(2)} s/GiB`);
    }
    console.log(`  round ${i + 1}: ${line.join("   ")}`);
  }
  console.log("1,000 sequential small requests, a new connection each, through the bridge (p50 p99, ms)");
  for (const [name, pkg] of kinds)
    console.log(`  ${name.padEnd(10)} ${(await run(srt(pkg, online, `${process.execPath} ${smallScript}`))).out}`);
} finally {
  server.kill();
  rmSync(work, { recursive: true, force: true });
}
