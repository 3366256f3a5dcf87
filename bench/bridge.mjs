// The proxy bridge into the sandbox (issue 19): srt's own dist/native/srt-bridge against the
// socat fallback (setpriv → nsenter → socat per port; a copy of dist/ without srt-bridge), in
// the same run, interleaved. `node bench/bridge.mjs [MiB] [rounds]`:
//  - start-up: `srt -- true` with no network (the refusing endpoint, bridged) and with an
//    allowed domain (the proxies, bridged), medians of interleaved runs;
//  - bulk: curl inside the sandbox downloads MiB from a loopback server through the CONNECT
//    bridge (3128), each round beside the same download outside the sandbox (direct); throughput,
//    its ratio to that round's direct download (the machine is noisy: read the ratios) and the
//    bridge's CPU seconds per GiB (the bridge processes and their per-connection children,
//    sampled from /proc); the server and the download are bench/_download.mjs';
//  - 1,000 sequential small requests, each on a new connection through the bridge (absolute-form
//    to the HTTP proxy), p50 and p99: what a bridge costs per connection;
//  - the bridge alone (as root: it enters this process's network namespace): curl downloads from
//    an HTTP server on a unix socket through srt-bridge, through socat, and straight from the
//    socket (curl --unix-socket, the baseline), interleaved: one hop, without srt's proxy, its
//    relay or a sandbox in the way.
// Loopback only. Timings on a shared machine are noisy: read the ratios.
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { bulkServer, curlOut, download, MiB, output } from "./_download.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const total = Number(process.argv[2] ?? 256) * MiB;
const rounds = Number(process.argv[3] ?? 5);
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

const { url, stop } = await bulkServer(total);
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

/** One download through srt's CONNECT bridge: MiB/s and the bridge's CPU seconds. */
async function viaBridge(pkg) {
  let cpu = 0;
  const mibs = await download(srt(pkg, online, `curl ${curlOut} -p -x http://127.0.0.1:3128 ${url}`), total, (pid) => {
    cpu = Math.max(cpu, bridgeCpu(pid));
  });
  return { mibs, cpu };
}
const srt = (pkg, settings, script) => [
  process.execPath,
  join(pkg, "dist/srt.cjs"),
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

/** A bridge from 127.0.0.1:port to the unix socket `to`, outside any sandbox; resolves once it listens. */
async function hopBridge(kind, port, to) {
  const native = ["linux-x64/", "linux-arm64/", ""]
    .map((d) => join(root, `dist/native/${d}srt-bridge`))
    .find((p) => existsSync(p));
  const child =
    kind === "srt-bridge"
      ? spawn(native, [String(process.pid), String(process.pid), "0", `${port}=${to}`], {
          stdio: ["ignore", "ignore", "inherit", "pipe"],
        })
      : spawn(
          "socat",
          ["-b65536", "-t86400", `TCP-LISTEN:${port},bind=127.0.0.1,fork,reuseaddr,backlog=4096`, `UNIX-CONNECT:${to}`],
          { stdio: "ignore" },
        );
  if (kind === "srt-bridge") await new Promise((r) => child.stdio[3].once("data", r));
  else
    for (let i = 0; i < 500; i++) {
      const up = await new Promise((r) => {
        const s = net.connect(port, "127.0.0.1", () => (s.destroy(), r(true)));
        s.on("error", () => r(false));
      });
      if (up) break;
      await new Promise((r) => setTimeout(r, 10));
    }
  return () => child.kill("SIGKILL");
}

async function bridgeAlone() {
  if (process.getuid() !== 0)
    return console.log("the bridge alone: skipped (srt-bridge enters a namespace: root only)");
  const sock = join(work, "bulk.sock");
  const hop = await bulkServer(total, sock);
  const port = await new Promise((r) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => r(port));
    });
  });
  const runs = { direct: [], "srt-bridge": [], socat: [] };
  try {
    for (let i = 0; i < rounds * 2; i++) {
      runs.direct.push(await download(["sh", "-c", `curl ${curlOut} --unix-socket ${sock} http://x/`], total));
      for (const kind of ["srt-bridge", "socat"]) {
        const stop = await hopBridge(kind, port, sock);
        runs[kind].push(await download(["sh", "-c", `curl ${curlOut} http://127.0.0.1:${port}/`], total));
        stop();
      }
    }
  } finally {
    hop.stop();
  }
  const d = median(runs.direct);
  console.log(
    `the bridge alone: ${total / MiB} MiB, curl → bridge → unix socket, medians of ${rounds * 2} interleaved runs`,
  );
  for (const [k, xs] of Object.entries(runs))
    console.log(`  ${k.padEnd(10)} ${median(xs).toFixed(0).padStart(5)} MiB/s  ${(median(xs) / d).toFixed(2)}× direct`);
}

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
        await output(srt(pkg, settings, "true"));
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
  console.log(
    `bulk ${total / MiB} MiB through the CONNECT bridge, ${rounds} rounds (MiB/s, ratio to the round's direct download, bridge CPU s/GiB)`,
  );
  const ratios = { "srt-bridge": [], socat: [] };
  for (let i = 0; i < rounds; i++) {
    const direct = await download(["sh", "-c", `curl ${curlOut} ${url}`], total);
    const line = [`direct ${direct.toFixed(0)} MiB/s`];
    for (const [name, pkg] of kinds) {
      const r = await viaBridge(pkg);
      ratios[name].push(r.mibs / direct);
      line.push(
        `${name} ${r.mibs.toFixed(0)} MiB/s ${(r.mibs / direct).toFixed(2)}× ${((r.cpu * 1024 * MiB) / total).toFixed(2)} s/GiB`,
      );
    }
    console.log(`  round ${i + 1}: ${line.join("   ")}`);
  }
  const b = median(ratios["srt-bridge"]);
  const s = median(ratios.socat);
  console.log(
    `  medians: srt-bridge ${b.toFixed(2)}× direct, socat ${s.toFixed(2)}× direct (srt-bridge/socat ${(b / s).toFixed(2)})`,
  );
  console.log("1,000 sequential small requests, a new connection each, through the bridge (p50 p99, ms)");
  for (const [name, pkg] of kinds)
    console.log(`  ${name.padEnd(10)} ${await output(srt(pkg, online, `${process.execPath} ${smallScript}`))}`);
  await bridgeAlone();
} finally {
  stop();
  rmSync(work, { recursive: true, force: true });
}
