/**
 * An upstream reset mid-body must reach a sandboxed client as a reset, not as
 * a clean end (a truncated download that looks whole). The client's path is
 * TCP in the sandbox → srt-bridge → a unix socket → srt's proxy → srt-relay
 * (CONNECT, SOCKS5) or Node (plain HTTP); a unix socket has no reset, so the
 * proxy side marks the end with an out-of-band byte that srt-bridge turns into
 * a reset (native/srt-bridge/bridge.c, native/srt-relay/relay.c). curl, Node
 * and Python inside a real sandbox, as root and as srt-test, against a
 * loopback server that resets after 256 KiB of a 1 MiB body; and against one
 * that ends its body cleanly, which must still arrive as a clean end. And a
 * client sending TCP urgent data (MSG_OOB), which splice() alone cannot read
 * past, still has its bytes echoed.
 */
import { copyFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lacking, unavailable } from "../support/requirements.js";
import { missingTestUser, runners, useBox } from "../linux/support.js";
import {
  makeScratch,
  networkSkipReason,
  networkSupported,
  runScript,
  shown,
  tools,
  values,
  type Scratch,
} from "./support.js";
import { startBodyServer, startEchoServer, type TestServer } from "./servers.js";

const node = process.execPath;
// The sandbox's PATH has the system's python3 (srt-test cannot reach a per-user install).
const python = existsSync("/usr/bin/python3");
const vias = ["connect", "socks", "plain"] as const;

describe.skipIf(lacking(!networkSupported, networkSkipReason))("an upstream reset inside the sandbox", () => {
  if (missingTestUser) unavailable("as srt-test: user srt-test does not exist (useradd -m srt-test)");
  if (!tools.curl) unavailable("curl is missing (apt-get install curl): its cases are skipped");
  if (!python) unavailable("/usr/bin/python3 is missing (apt-get install python3): its cases are skipped");
  let scratch: Scratch;
  let nodeClient: string;
  let pyClient: string;
  let cut: TestServer;
  let whole: TestServer;
  let echo: TestServer;
  const settings = (): unknown => ({ network: { allowedDomains: ["127.0.0.1"] } });

  beforeAll(async () => {
    scratch = makeScratch();
    nodeClient = join(scratch.dir, "robust-client.mjs");
    pyClient = join(scratch.dir, "reset-client.py");
    copyFileSync(fileURLToPath(new URL("./robust-client.mjs", import.meta.url)), nodeClient);
    copyFileSync(fileURLToPath(new URL("./reset-client.py", import.meta.url)), pyClient);
    [cut, whole, echo] = await Promise.all([startBodyServer(true), startBodyServer(false), startEchoServer()]);
  });
  afterAll(async () => {
    await Promise.all([cut?.close(), whole?.close(), echo?.close()]);
    scratch?.remove();
  });

  /** One sandboxed run: every client through every way to the server at port; `key=value` lines. */
  const clients = (port: number): string =>
    vias
      .flatMap((via) => [
        ...(tools.curl
          ? [
              `curl -sS -o /dev/null ${via === "connect" ? "-p -x http://127.0.0.1:3128" : via === "socks" ? "--socks5 127.0.0.1:1080" : "-x http://127.0.0.1:3128"} http://127.0.0.1:${port}/ 2>curl-${via}.err; echo curl_${via}=$?; echo curl_${via}_said=$(cat curl-${via}.err)`,
            ]
          : []),
        `${node} ${nodeClient} cut ${via} 127.0.0.1 ${port} | sed 's/^how=/node_${via}=/'`,
        ...(python ? [`python3 ${pyClient} ${via} 127.0.0.1 ${port} | sed 's/^how=/python_${via}=/'`] : []),
      ])
      .join("\n");

  describe.each(runners)("as %s", (runner) => {
    it("reaches curl, Node and Python as a reset through CONNECT, SOCKS5 and plain HTTP", async (ctx) => {
      const box = useBox(ctx, runner);
      const out = await runScript(scratch, box, settings(), `cd ${box.work}\n${clients(cut.port)}`, {
        timeoutMs: 60_000,
      });
      const v = values(out);
      expect(out.status, shown(out)).toBe(0);
      for (const via of vias) {
        if (tools.curl) {
          // 56: "Recv failure: Connection reset by peer"; a clean close is 18 ("transfer closed with … remaining").
          expect(v[`curl_${via}`], shown(out)).toBe("56");
          expect(v[`curl_${via}_said`], shown(out)).toContain("Connection reset by peer");
        }
        expect(v[`node_${via}`], shown(out)).toBe("ECONNRESET");
        if (python) expect(v[`python_${via}`], shown(out)).toBe("reset");
      }
    }, 90_000);

    it("a body that ends cleanly still ends cleanly", async (ctx) => {
      const box = useBox(ctx, runner);
      const out = await runScript(scratch, box, settings(), `cd ${box.work}\n${clients(whole.port)}`, {
        timeoutMs: 60_000,
      });
      const v = values(out);
      expect(out.status, shown(out)).toBe(0);
      for (const via of vias) {
        if (tools.curl) expect(v[`curl_${via}`], shown(out)).toBe("0");
        expect(v[`node_${via}`], shown(out)).toBe("end");
        if (python) expect(v[`python_${via}`], shown(out)).toBe("end");
      }
    }, 90_000);

    it.skipIf(!python)(
      "TCP urgent data from the client is carried, not a stalled tunnel",
      async (ctx) => {
        const box = useBox(ctx, runner);
        const script = [
          "import socket",
          "s = socket.create_connection(('127.0.0.1', 3128), timeout=5)",
          `s.sendall(b'CONNECT 127.0.0.1:${echo.port} HTTP/1.1\\r\\n\\r\\n')`,
          "head = b''",
          "while b'\\r\\n\\r\\n' not in head: head += s.recv(1000)",
          "s.sendall(b'abc'); s.send(b'U', socket.MSG_OOB); s.sendall(b'def\\nBYE\\n')",
          "got = b''",
          "try:",
          "    while b'BYE' not in got: got += s.recv(100)",
          "except OSError as e: got += b' ' + type(e).__name__.encode()",
          "print('echo=' + got.decode(errors='replace').split(chr(10))[0])",
        ].join("\n");
        const out = await runScript(scratch, box, settings(), `python3 -c "${script.replace(/"/g, '\\"')}"`, {
          timeoutMs: 30_000,
        });
        expect(values(out)["echo"], shown(out)).toBe("abcUdef");
      },
      60_000,
    );
  });
});
