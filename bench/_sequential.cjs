// Shared by bench/bulk.mjs and bench/proxy.mjs: 1,000 sequential GET /small on one kept-alive
// connection. `node bench/_sequential.cjs HOW PORT [PROXY_PORT]`: HOW is `direct` (to the server
// at PORT), `tunnel` (over one CONNECT tunnel through the proxy at PROXY_PORT, default 3128: the
// sandbox's) or `proxy` (absolute-form requests to that proxy, each one decided and forwarded).
// Prints "p50 p99" in ms.
const net = require("node:net");
const [how, port, proxyPort, n] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4] ?? 3128), 1000];
const s = net.connect(how === "direct" ? port : proxyPort, "127.0.0.1");
s.setNoDelay(true);
const path = how === "proxy" ? `http://127.0.0.1:${port}/small` : "/small";
let buf = "";
let wait;
s.on("data", (d) => {
  buf += d;
  const i = buf.indexOf("\r\n\r\n");
  if (i < 0) return;
  const len = Number((/content-length: *(\d+)/i.exec(buf.slice(0, i)) || [0, 0])[1]);
  if (buf.length < i + 4 + len) return;
  buf = buf.slice(i + 4 + len);
  wait();
});
const ask = (text) =>
  new Promise((r) => {
    wait = r;
    s.write(text);
  });
(async () => {
  await new Promise((r) => s.once("connect", r));
  if (how === "tunnel") await ask(`CONNECT 127.0.0.1:${port} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
  const ms = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await ask(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  ms.sort((a, b) => a - b);
  console.log(`${ms[n >> 1].toFixed(3)} ${ms[Math.floor(n * 0.99)].toFixed(3)}`);
  s.destroy();
})();
