// Run inside the sandbox by tls-terminate.test.ts: HTTPS through HTTPS_PROXY
// with Node's own trust (NODE_EXTRA_CA_CERTS added to its roots), the way an
// HTTPS client that supports CONNECT does it. Prints key=value lines.
//   node tls-client.mjs HOST PORT PATH [HEADER-VALUE]
import http from "node:http";
import tls from "node:tls";

const [host, port, path, auth] = process.argv.slice(2);
const out = (k, v) => process.stdout.write(`${k}=${v}\n`);
const timer = setTimeout(() => {
  out("timeout", "1");
  process.exit(3);
}, 8000);
const proxy = new URL(process.env.HTTPS_PROXY);
const req = http.request({ host: proxy.hostname, port: proxy.port, method: "CONNECT", path: `${host}:${port}` });
req.on("connect", (res, socket) => {
  out("connect", res.statusCode);
  const s = tls.connect({ socket, host, ...(/^[\d.]+$/.test(host) ? {} : { servername: host }) }, () => {
    out("issuer", s.getPeerCertificate().issuer.O ?? s.getPeerCertificate().issuer.CN);
    s.write(
      `GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\n${auth ? `Authorization: ${auth}\r\n` : ""}Connection: close\r\n\r\n`,
    );
  });
  let text = "";
  s.on("data", (d) => (text += d));
  s.on("end", () => {
    out("status", text.split(" ")[1]);
    out("body", text.split("\r\n\r\n")[1]?.trim());
    clearTimeout(timer);
  });
  s.on("error", (e) => {
    out("error", e.code ?? e.message);
    clearTimeout(timer);
    process.exitCode = 1;
  });
});
req.on("error", (e) => out("error", e.message));
req.end();
