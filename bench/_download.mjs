// Shared by the download benches (bulk.mjs, bridge.mjs, proxy.mjs): a loopback HTTP server that sends a
// body of `total` bytes (GET / ; /small answers "ok", /empty an empty body), and curl downloads
// through it — directly or inside `srt -c` — with the size checked and the speed curl measured.
import { spawn } from "node:child_process";

export const MiB = 1 << 20;

/** curl's flags for one download: nothing kept, "size speed" printed. */
export const curlOut = "-s -o /dev/null -w '%{size_download} %{speed_download}'";

/**
 * Starts the server in its own process (so its CPU is not the bench's), on 127.0.0.1 or on the
 * unix socket `path`; stop() ends it.
 */
export async function bulkServer(total, path) {
  const source = `
const http = require("node:http");
const chunk = Buffer.alloc(1 << 20, 0x61);
http.createServer((req, res) => {
  if (req.url === "/small") return res.end("ok");
  const total = req.url === "/empty" ? 0 : ${total};
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
}).listen(${path === undefined ? '0, "127.0.0.1"' : JSON.stringify(path)}, function () {
  const a = this.address();
  process.stdout.write((typeof a === "string" ? 0 : a.port) + "\\n");
});
`;
  const server = spawn(process.execPath, ["-e", source], { stdio: ["ignore", "pipe", "inherit"] });
  const port = Number(await new Promise((r) => server.stdout.once("data", (d) => r(String(d).trim()))));
  return { port, url: `http://127.0.0.1:${port}/`, stop: () => server.kill() };
}

/** Runs argv; resolves with its trimmed stdout, rejects when it fails. `sample(pid)` is called every `everyMs` meanwhile. */
export function output(argv, sample, everyMs = 20) {
  return new Promise((resolve, reject) => {
    const c = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    c.stdout.on("data", (d) => (out += d));
    c.stderr.on("data", (d) => (err += d));
    const timer = sample && setInterval(() => sample(c.pid), everyMs);
    c.on("close", (code) => {
      if (timer) clearInterval(timer);
      if (code !== 0) reject(new Error(`${argv.join(" ")}: exit ${code}, ${out} ${err}`));
      else resolve(out.trim());
    });
  });
}

/**
 * Runs argv (curl with curlOut, or srt running it) and resolves with curl's MiB/s; rejects on a
 * failure or a download shorter than `expect` bytes. `sample` as for output().
 */
export async function download(argv, expect, sample, everyMs = 20) {
  const out = await output(argv, sample, everyMs);
  const [size, speed] = out.split(" ").map(Number);
  if (!(size >= expect)) throw new Error(`${argv.join(" ")}: a short download: ${out}`);
  return speed / MiB;
}
