// Proxy memory with many tunnels (run: `node bench/tunnel-rss.mjs [tunnels]`): the HTTP proxy
// (bundled from src, in a child process of its own) holds 1,000 CONNECT tunnels to a loopback
// echo server, each having carried 64 KiB both ways, with the native relay copying them and with
// Node's copy (no relay). Prints the proxy's RSS idle, while holding them, 2 s after they closed
// and 35 s after (V8 gives a grown young generation back only some 10–30 s after the load
// stops), per variant; for the last two, anonymous memory (the heap, malloc's arenas) apart from
// file pages (Node's own code, paged in as it runs); and V8's young generation at every point.
// "Idle" is after 20 tunnels came and went, so that code run once is in the baseline. Nothing
// forces a collection: the figures are what a proxy left alone holds. Loopback only; RSS depends
// on the machine, compare the variants.
import { build } from "esbuild";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const n = Number(process.argv[2] ?? 1000);
const work = mkdtempSync(join(tmpdir(), "srt-bench-rss-"));
const bundle = join(work, "proxy.mjs");
await build({
  entryPoints: [`${root}src/runtime/proxy/index.ts`],
  outfile: bundle,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  logLevel: "warning",
});
// The proxy's process: listens on a unix socket (as in a run), says "ready", answers "rss" with its RSS.
const proxySource = `
import { createHttpProxy, createNativeRelay } from ${JSON.stringify(bundle)};
import { readFileSync } from "node:fs";
import { getHeapSpaceStatistics } from "node:v8";
const relay = process.argv[2] === "relay"
  ? createNativeRelay({ path: ${JSON.stringify(join(root, "dist/native/srt-relay"))}, halfCloseTimeoutMs: 60000 })
  : undefined;
const proxy = createHttpProxy({
  network: { rules: [{ kind: "net", effect: "allow", host: { kind: "ipv4", address: "127.0.0.1" }, source: "127.0.0.1", origin: "bench" }], deniedResolvedAddresses: [] },
  onViolation: () => {},
  resolve: async () => ["127.0.0.1"],
  ...(relay ? { relay } : {}),
});
await proxy.listen({ path: process.argv[3] });
const status = (key) => Number(new RegExp(key + ":\\\\s+(\\\\d+)").exec(readFileSync("/proc/self/status", "utf8"))[1]) / 1024;
const young = () => getHeapSpaceStatistics().find((x) => x.space_name === "new_space").physical_space_size / 1048576;
process.stdout.write("ready\\n");
process.stdin.on("data", () => {
  const values = [status("VmRSS"), process.memoryUsage().heapUsed / 1048576, status("RssAnon"), status("RssFile"), young()];
  process.stdout.write(values.map((v) => v.toFixed(1)).join(" ") + "\\n");
});
`;
const proxyFile = join(work, "proxy-main.mjs");
writeFileSync(proxyFile, proxySource);

const echo = net.createServer((s) => {
  s.on("error", () => undefined);
  s.pipe(s);
});
await new Promise((r) => echo.listen(0, "127.0.0.1", r));
const port = echo.address().port;
const payload = Buffer.alloc(64 * 1024, 0x61);

async function variant(kind) {
  const sock = join(work, `${kind}.sock`);
  const p = spawn(process.execPath, [proxyFile, kind, sock], { stdio: ["pipe", "pipe", "inherit"] });
  const lines = [];
  let waiting;
  p.stdout.setEncoding("utf8").on("data", (d) => {
    lines.push(...d.trim().split("\n"));
    waiting?.();
  });
  const next = async () => {
    while (lines.length === 0) await new Promise((r) => (waiting = r));
    return lines.shift();
  };
  await next(); // ready
  const rss = async () => (p.stdin.write("rss\n"), (await next()).split(" ").map(Number));
  const open = async (count) => {
    const socks = [];
    for (let i = 0; i < count; i++) {
      const s = await new Promise((resolve, reject) => {
        const s = net.connect(sock, () => s.write(`CONNECT 127.0.0.1:${port} HTTP/1.1\r\nHost: x\r\n\r\n`));
        s.once("error", reject);
        s.once("data", () => resolve(s));
      });
      await new Promise((resolve) => {
        let got = 0;
        const on = (d) => {
          got += d.length;
          if (got >= payload.length) (s.off("data", on), resolve());
        };
        s.on("data", on);
        s.write(payload);
      });
      socks.push(s);
    }
    return socks;
  };
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  for (const s of await open(20)) s.destroy(); // warm-up
  await sleep(2000);
  const idle = await rss();
  const socks = await open(n);
  const held = await rss();
  for (const s of socks) s.destroy();
  await sleep(2000);
  const after = await rss();
  await sleep(33_000);
  const later = await rss();
  p.kill();
  return { idle, held, after, later };
}

try {
  console.log(`proxy RSS (MiB) with ${n} CONNECT tunnels that each carried 64 KiB both ways`);
  for (const kind of ["relay", "node"]) {
    const r = await variant(kind);
    const [i, h, a, l] = [r.idle, r.held, r.after, r.later];
    const plus = (x, y) => `${x.toFixed(1)} (+${(x - y).toFixed(1)})`;
    console.log(
      `  ${kind === "relay" ? "native relay" : "node copy   "}  idle ${i[0].toFixed(1)}  holding ${plus(h[0], i[0])}  2 s after closing ${plus(a[0], i[0])}  35 s after ${plus(l[0], i[0])}`,
    );
    for (const [when, x] of [
      ["2 s after", a],
      ["35 s after", l],
    ])
      console.log(`      ${when}: anonymous ${plus(x[2], i[2])}, file ${plus(x[3], i[3])}`);
    console.log(`      young generation resident ${[i, h, a, l].map((x) => x[4].toFixed(1)).join(" / ")}`);
  }
} finally {
  echo.close();
  rmSync(work, { recursive: true, force: true });
}
