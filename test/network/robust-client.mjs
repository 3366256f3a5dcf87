// The in-sandbox half of bridge.test.ts (plain JS: the sandbox runs it with
// the host's node). Prints `key=value` lines; one overall timer bounds it.
//
//   late HOST:PORT           CONNECT, send "hello" and half-close; print what came back
//   sockslate HOST PORT      the same through SOCKS5
//   bighead URL              plain HTTP with 100,000 header lines; print the status line
//   burst HOST:PORT N        N CONNECT tunnels at once, each echoing one line; then the
//                            namespace's listen overflows (TcpExt ListenOverflows)
//   load URL N C             N plain-HTTP GETs through HTTP_PROXY, C at a time (or direct
//                            when HTTP_PROXY is unset); errors, p50/p99/max in ms
//   cut VIA HOST PORT        one GET through a CONNECT tunnel, SOCKS5 or absolute-form (VIA:
//                            connect, socks, plain), read to the end: how=end, or the error's code
import { readFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";

const [mode, ...args] = process.argv.slice(2);
const out = (k, v) => process.stdout.write(`${k}=${v}\n`);
const timer = setTimeout(
  () => {
    out("timeout", "1");
    process.exit(3);
  },
  Number(process.env.CLIENT_TIMEOUT_MS ?? 60_000),
);
const done = () => clearTimeout(timer);
const proxy = (name) => new URL(process.env[name]);
const afterHead = (s) => s.slice(s.indexOf("\r\n\r\n") + 4);

function listenOverflows() {
  const lines = readFileSync("/proc/net/netstat", "utf8").split("\n");
  const names = lines[0].split(" ");
  const values = lines[1].split(" ");
  return Number(values[names.indexOf("ListenOverflows")]);
}

/** CONNECT authority through HTTPS_PROXY; onOpen(socket) once the tunnel is up; resolves with what came after the head. */
function tunnel(authority, onOpen) {
  return new Promise((resolve, reject) => {
    const p = proxy("HTTPS_PROXY");
    const s = net.connect(Number(p.port), p.hostname, () => s.write(`CONNECT ${authority} HTTP/1.1\r\n\r\n`));
    let got = "";
    let open = false;
    s.on("data", (c) => {
      got += c.toString("latin1");
      if (!open && got.includes("\r\n\r\n")) {
        open = true;
        onOpen(s);
      }
    });
    s.on("error", reject);
    s.on("close", () => resolve(afterHead(got)));
  });
}

switch (mode) {
  case "late": {
    out("reply", JSON.stringify(await tunnel(args[0], (s) => s.end("hello"))));
    break;
  }
  case "sockslate": {
    const p = proxy("ALL_PROXY");
    const [host, port] = args;
    const reply = await new Promise((resolve) => {
      const s = net.connect(Number(p.port), p.hostname, () => {
        const req = Buffer.concat([
          Buffer.from([5, 1, 0, 5, 1, 0, 3, host.length]),
          Buffer.from(host),
          Buffer.from([Number(port) >> 8, Number(port) & 0xff]),
        ]);
        s.write(req);
      });
      let got = Buffer.alloc(0);
      let sent = false;
      s.on("data", (c) => {
        got = Buffer.concat([got, c]);
        if (!sent && got.length >= 12) {
          sent = true;
          s.end("hello");
        }
      });
      s.on("error", () => undefined);
      s.on("close", () => resolve(got.subarray(12).toString()));
    });
    out("reply", JSON.stringify(reply));
    break;
  }
  case "bighead": {
    const p = proxy("HTTP_PROXY");
    const s = net.connect(Number(p.port), p.hostname, () =>
      s.write(
        `GET ${args[0]} HTTP/1.1\r\nHost: x\r\n${"X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n".repeat(100_000)}\r\n`,
      ),
    );
    let got = "";
    s.on("data", (c) => (got += c.toString("latin1")));
    s.on("error", (e) => out("clientError", e.code));
    s.on("close", () => out("status", JSON.stringify(got.split("\r\n")[0])));
    break;
  }
  case "burst": {
    const [authority, n] = args;
    const before = listenOverflows();
    const replies = await Promise.all(
      Array.from({ length: Number(n) }, (_, i) =>
        tunnel(authority, (s) => s.end(`line-${i}\n`)).catch((e) => `error ${e.code}`),
      ),
    );
    out("ok", replies.filter((r, i) => r === `line-${i}\n`).length);
    out("overflows", listenOverflows() - before);
    break;
  }
  case "load": {
    const [url, n, c] = args.map((a, i) => (i === 0 ? a : Number(a)));
    const p = process.env.HTTP_PROXY ? proxy("HTTP_PROXY") : undefined;
    const target = new URL(url);
    const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
    const times = [];
    let errors = 0;
    let next = 0;
    const one = () =>
      new Promise((resolve) => {
        const t0 = performance.now();
        const req = http.get(
          p
            ? { host: p.hostname, port: Number(p.port), path: url, agent, timeout: 20_000 }
            : { host: target.hostname, port: Number(target.port), path: target.pathname, agent, timeout: 20_000 },
          (res) => {
            res.resume();
            res.on("end", () => {
              if (res.statusCode === 200) times.push(performance.now() - t0);
              else errors++;
              resolve();
            });
            res.on("error", () => (errors++, resolve()));
          },
        );
        req.on("timeout", () => req.destroy(new Error("timeout")));
        req.on("error", () => (errors++, resolve()));
      });
    const worker = async () => {
      while (next < n) {
        next++;
        await one();
      }
    };
    const t0 = performance.now();
    const before = listenOverflows();
    await Promise.all(Array.from({ length: c }, worker));
    times.sort((a, b) => a - b);
    const q = (f) => times[Math.min(times.length - 1, Math.floor(f * times.length))]?.toFixed(1);
    out("errors", errors);
    out("p50", q(0.5));
    out("p99", q(0.99));
    out("max", times.at(-1)?.toFixed(1));
    out("seconds", ((performance.now() - t0) / 1000).toFixed(1));
    out("overflows", listenOverflows() - before);
    break;
  }
  case "cut": {
    const [via, host, port] = args;
    const p = proxy(via === "connect" ? "HTTPS_PROXY" : via === "socks" ? "ALL_PROXY" : "HTTP_PROXY");
    const s = net.connect(Number(p.port), p.hostname);
    const get = (path) => s.write(`GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nConnection: close\r\n\r\n`);
    let head = Buffer.alloc(0);
    let open = via === "plain";
    if (via === "connect") s.write(`CONNECT ${host}:${port} HTTP/1.1\r\nHost: ${host}:${port}\r\n\r\n`);
    else if (via === "socks")
      s.write(
        Buffer.from([5, 1, 0, 5, 1, 0, 1, ...host.split(".").map(Number), Number(port) >> 8, Number(port) & 0xff]),
      );
    else get(`http://${host}:${port}/`);
    s.on("data", (c) => {
      if (open) return;
      head = Buffer.concat([head, c]);
      if (via === "connect" ? head.includes("\r\n\r\n") : head.length >= 12) {
        open = true;
        get("/");
      }
    });
    out(
      "how",
      await new Promise((resolve) => {
        s.on("end", () => resolve("end"));
        s.on("error", (e) => resolve(e.code ?? e.message));
      }),
    );
    break;
  }
  default:
    out("error", `unknown mode ${mode}`);
}
done();
