// Bulk download through a real sandbox (run by hand: `node bench/bulk.mjs [MiB] [rounds]`):
// curl inside `srt -c` fetches a file from a loopback HTTP server through the
// sandbox's CONNECT (3128) and SOCKS5 (1080) bridges, with srt's native relay
// and with the Node fallback (a copy of dist/ without dist/native/srt-relay),
// each against a direct download run right before it (on a shared machine the
// direct speed swings from one second to the next, so one direct download per
// round made the later rows' ratios follow their position; the protocols also
// swap places every round). Prints every run (the machine
// is noisy): MiB/s, the ratio to its direct download, and the CPU
// seconds of the srt process, of srt-relay and of srt-bridge (which copies the
// run's tunnels itself since one hop; sampled from /proc; srt's
// includes its start-up, so a run that downloads nothing is measured too and
// CPU per GiB is net of it). Then 1,000 sequential small requests from a Node
// client inside the sandbox over one kept-alive CONNECT tunnel (the relay's
// path) and through the HTTP proxy (absolute-form, Node's own path), p50 and
// p99 against the same client outside the sandbox talking to the server
// directly. Ends with each row's median ratio and range over the rounds.
// Loopback only.
import { spawn } from "node:child_process";
import { bulkServer, curlOut, download, MiB } from "./_download.mjs";
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const total = Number(process.argv[2] ?? 1024) * MiB;
const rounds = Number(process.argv[3] ?? 5);
const work = mkdtempSync(join(tmpdir(), "srt-bench-bulk-"));
const settings = join(work, "settings.json");
writeFileSync(settings, JSON.stringify({ network: { allowedDomains: ["127.0.0.1"] } }));
// The fallback: the same build, without the native helper.
const fallback = join(work, "fallback");
cpSync(join(root, "package.json"), join(fallback, "package.json"));
cpSync(join(root, "dist"), join(fallback, "dist"), { recursive: true });
rmSync(join(fallback, "dist/native/srt-relay"), { force: true });
symlinkSync(join(root, "node_modules"), join(fallback, "node_modules"));

const { port, url, stop } = await bulkServer(total);
const hz = 100; // USER_HZ on Linux

const cpuOf = (pid) => {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(f[11]) + Number(f[12])) / hz;
  } catch {
    return undefined;
  }
};
const helperChild = (pid, comm) => {
  try {
    for (const k of readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/))
      if (k && readFileSync(`/proc/${k}/comm`, "utf8").trim() === comm) return Number(k);
  } catch {
    // srt exited between the reads
  }
  return undefined;
};

async function curl(args) {
  const cpu = { srt: 0, relay: 0, bridge: 0 };
  const mibs = await download(
    args,
    args.at(-1).endsWith("/empty") ? 0 : total,
    (pid) => {
      cpu.srt = cpuOf(pid) ?? cpu.srt;
      const r = helperChild(pid, "srt-relay");
      if (r !== undefined) cpu.relay = cpuOf(r) ?? cpu.relay;
      const b = helperChild(pid, "srt-bridge");
      if (b !== undefined) cpu.bridge = cpuOf(b) ?? cpu.bridge;
    },
    50,
  );
  return { mibs, ...cpu };
}
const direct = () => curl(["sh", "-c", `curl ${curlOut} ${url}`]);
const viaSrt = (pkg, how, target = url) => {
  const proxy = how === "connect" ? "-p -x http://127.0.0.1:3128" : "--socks5 127.0.0.1:1080";
  const script = `curl ${curlOut} ${proxy} ${target}`;
  return curl([process.execPath, join(pkg, "dist/srt.cjs"), "--settings", settings, "-c", script]);
};

// 1,000 sequential GET /small on one kept-alive connection (_sequential.cjs): `direct` to the
// server, `tunnel` over one CONNECT tunnel to 127.0.0.1:3128 (the bytes go through the relay),
// `proxy` as absolute-form requests to the HTTP proxy (each one parsed and forwarded by Node).
const smallScript = join(root, "bench/_sequential.cjs");
function small(how, pkg) {
  const argv =
    how === "direct"
      ? [process.execPath, smallScript, how, String(port)]
      : [
          process.execPath,
          join(pkg, "dist/srt.cjs"),
          "--settings",
          settings,
          "-c",
          `${process.execPath} ${smallScript} ${how} ${port}`,
        ];
  return new Promise((resolve, reject) => {
    const c = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    c.stdout.on("data", (d) => (out += d));
    c.on("close", (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`${how}: exit ${code}, ${out}`))));
  });
}

try {
  await direct(); // warm-up
  console.log(
    `bulk ${total / MiB} MiB through a sandbox, ${rounds} rounds (MiB/s, ratio to the direct download just before, CPU s)`,
  );
  const ratios = new Map();
  for (let i = 0; i < rounds; i++) {
    console.log(`round ${i + 1}`);
    for (const how of i % 2 === 0 ? ["connect", "socks"] : ["socks", "connect"])
      for (const [name, pkg] of [
        ["native relay", root],
        ["node fallback", fallback],
      ]) {
        const idle = (await viaSrt(pkg, how, `${url}empty`)).srt;
        const d = (await direct()).mibs;
        const r = await viaSrt(pkg, how);
        const perGiB = ((r.srt - idle) * 1024 * MiB) / total;
        const row = `${how.padEnd(7)} ${name.padEnd(13)}`;
        ratios.set(row, [...(ratios.get(row) ?? []), r.mibs / d]);
        console.log(
          `  ${row} ${r.mibs.toFixed(0).padStart(5)} MiB/s  ${(r.mibs / d).toFixed(2)}× of ${d.toFixed(0)}  srt ${r.srt.toFixed(2)} s (idle run ${idle.toFixed(2)} s: ${perGiB.toFixed(2)} s/GiB)  relay ${r.relay.toFixed(2)} s  bridge ${r.bridge.toFixed(2)} s`,
        );
      }
  }
  console.log(`ratio to direct over ${rounds} rounds: median (range)`);
  for (const [row, rs] of [...ratios].sort()) {
    const s = [...rs].sort((a, b) => a - b);
    const median = s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    console.log(`  ${row} ${median.toFixed(2)}× (${s[0].toFixed(2)}–${s.at(-1).toFixed(2)})`);
  }
  console.log("1,000 sequential small requests on one connection (p50 p99, ms)");
  console.log(`  direct, outside the sandbox                ${""}${await small("direct")}`);
  for (const [name, pkg] of [
    ["native relay", root],
    ["node fallback", fallback],
  ])
    console.log(`  sandbox, one CONNECT tunnel, ${name.padEnd(13)} ${await small("tunnel", pkg)}`);
  console.log(`  sandbox, HTTP proxy (absolute-form)        ${""}${await small("proxy", root)}`);
} finally {
  stop();
  rmSync(work, { recursive: true, force: true });
}
