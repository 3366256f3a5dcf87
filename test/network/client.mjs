// A Node client the network tests run *inside* the sandbox (plain JS: the
// sandbox runs it with the host's node, no TypeScript loader). It reads the
// proxy addresses from the environment srt set, the way a real tool would,
// and prints `key=value` lines for the test to check. Every mode is bounded
// by one overall timer.
//
//   get URL                  plain HTTP through HTTP_PROXY (absolute URI)
//   connect HOST:PORT LINE   CONNECT tunnel through HTTPS_PROXY, then LINE + BYE
//   socks HOST PORT LINE     SOCKS5 CONNECT through ALL_PROXY, then LINE + BYE
//   direct HOST PORT         a TCP connect that ignores every proxy
//   udp HOST PORT            three datagrams that ignore every proxy
//   loopback                 a server and a client on the sandbox's own 127.0.0.1
import dgram from "node:dgram";
import http from "node:http";
import net from "node:net";

const [mode, ...args] = process.argv.slice(2);
const out = (k, v) => process.stdout.write(`${k}=${v}\n`);
const timer = setTimeout(() => {
  out("timeout", "1");
  process.exit(3);
}, 8000);
const done = (code = 0) => {
  clearTimeout(timer);
  process.exitCode = code;
};
const proxyOf = (name) => {
  const v = process.env[name] ?? process.env[name.toLowerCase()];
  if (!v) {
    out("error", `${name} unset`);
    done(4);
    return undefined;
  }
  return new URL(v);
};

/** Reads the whole conversation after `first` has been sent; resolves with everything received. */
function converse(sock, first) {
  return new Promise((resolve) => {
    let got = "";
    sock.on("data", (d) => (got += d.toString("latin1")));
    sock.on("close", () => resolve(got));
    sock.on("error", () => resolve(got));
    sock.write(first);
  });
}

switch (mode) {
  case "get": {
    const p = proxyOf("HTTP_PROXY");
    if (!p) break;
    const target = new URL(args[0]);
    const req = http.request(
      { host: p.hostname, port: Number(p.port), method: "GET", path: target.href, headers: { host: target.host } },
      (res) => {
        let body = "";
        res.setEncoding("utf8").on("data", (d) => (body += d));
        res.on("end", () => {
          out("status", res.statusCode);
          out("refusedBy", res.headers["x-srt-refused"] ?? "");
          out("body", body.split("\n")[0]);
          done();
        });
      },
    );
    req.on("error", (e) => {
      out("error", e.code ?? e.message);
      done(1);
    });
    req.end();
    break;
  }
  case "connect": {
    const p = proxyOf("HTTPS_PROXY");
    if (!p) break;
    const [authority, line] = args;
    const sock = net.connect({ host: p.hostname, port: Number(p.port) });
    sock.on("error", (e) => {
      out("error", e.code ?? e.message);
      done(1);
    });
    let head = "";
    const onHead = (d) => {
      head += d.toString("latin1");
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) return;
      sock.off("data", onHead);
      const status = Number(head.split(" ")[1]);
      out("status", status);
      if (status !== 200) {
        out("body", head.slice(end + 4).split("\n")[0]);
        sock.destroy();
        done();
        return;
      }
      converse(sock, `${line}\nBYE\n`).then((got) => {
        out("echo", got.split("\n")[0]);
        done();
      });
    };
    sock.on("data", onHead);
    sock.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`);
    break;
  }
  case "socks": {
    const p = proxyOf("ALL_PROXY");
    if (!p) break;
    const [host, port, line] = args;
    const v4 = net.isIPv4(host);
    const v6 = net.isIPv6(host);
    const addr = v4
      ? Buffer.from([1, ...host.split(".").map(Number)])
      : v6
        ? Buffer.concat([
            Buffer.from([4]),
            Buffer.from(host === "::1" ? "00000000000000000000000000000001" : "", "hex"),
          ])
        : Buffer.concat([Buffer.from([3, host.length]), Buffer.from(host, "latin1")]);
    const portBytes = Buffer.alloc(2);
    portBytes.writeUInt16BE(Number(port));
    const sock = net.connect({ host: p.hostname, port: Number(p.port) });
    sock.on("error", (e) => {
      out("error", e.code ?? e.message);
      done(1);
    });
    let buf = Buffer.alloc(0);
    let stage = "method";
    const onData = (d) => {
      buf = Buffer.concat([buf, d]);
      if (stage === "method" && buf.length >= 2) {
        out("method", buf[1]);
        buf = buf.subarray(2);
        stage = "reply";
        sock.write(Buffer.concat([Buffer.from([5, 1, 0]), addr, portBytes]));
      }
      if (stage === "reply" && buf.length >= 10) {
        stage = "data";
        sock.off("data", onData);
        out("reply", buf[1]);
        if (buf[1] !== 0) {
          sock.destroy();
          done();
          return;
        }
        converse(sock, `${line}\nBYE\n`).then((got) => {
          out("echo", got.split("\n")[0]);
          done();
        });
      }
    };
    sock.on("data", onData);
    sock.write(Buffer.from([5, 1, 0]));
    break;
  }
  case "direct": {
    const [host, port] = args;
    const sock = net.connect({ host, port: Number(port) }, () => {
      out("direct", "connected");
      sock.destroy();
      done();
    });
    sock.on("error", (e) => {
      out("direct", e.code ?? e.message);
      done();
    });
    break;
  }
  case "udp": {
    const [host, port] = args;
    const sock = dgram.createSocket(net.isIPv6(host) ? "udp6" : "udp4");
    let sent = 0;
    let error = "";
    const next = () => {
      if (sent === 3) {
        out("udp", error || "sent");
        sock.close();
        done();
        return;
      }
      sock.send(`datagram-${sent++}`, Number(port), host, (e) => {
        if (e) error ||= e.code ?? e.message;
        setTimeout(next, 20);
      });
    };
    sock.on("error", (e) => (error ||= e.code ?? e.message));
    next();
    break;
  }
  case "loopback": {
    const server = net.createServer((s) => s.pipe(s));
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      const c = net.connect({ host: "127.0.0.1", port }, () => c.write("ping-inside\n"));
      c.on("data", (d) => {
        out("loopback", d.toString().trim());
        out("port", port);
        c.destroy();
        server.close();
        done();
      });
      c.on("error", (e) => {
        out("loopback", e.code ?? e.message);
        server.close();
        done(1);
      });
    });
    server.on("error", (e) => {
      out("loopback", `listen ${e.code ?? e.message}`);
      done(1);
    });
    break;
  }
  default:
    out("error", `unknown mode ${mode}`);
    done(2);
}
