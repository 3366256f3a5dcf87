/**
 * One hop (issue 19): srt-bridge takes the tunnels of its own connections from
 * srt and joins the sandboxed client's TCP socket to the upstream itself
 * ("One hop" in native/srt-bridge/bridge.c). Attacks first:
 *  - many tunnels to different hosts opened at once from inside a real sandbox
 *    each get their own upstream, never another connection's;
 *  - a proxy-side socket whose peer carries the very name of one of the
 *    bridge's connections (the same autobound abstract name, in another network
 *    namespace) is refused, not joined to that connection;
 *  - nothing of the bridge's control channel is a descriptor in the sandbox.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findNative } from "../../src/runtime/native.js";
import { missingTestUser, report, runners, skipReason, srt, supported, useBox, writeSettings } from "./support.js";
import { lacking, unavailable } from "../support/requirements.js";

const count = 24;
const servers: net.Server[] = [];
const ports: number[] = [];
beforeAll(async () => {
  // Server i answers every line with "srv-i:<line>", after 64 KiB of its own bytes (the tunnels
  // overlap while those are copied).
  for (let i = 0; i < count; i++) {
    const s = net.createServer((c) => {
      c.on("error", () => undefined);
      createInterface({ input: c }).on("line", (l) => c.write(`${"x".repeat(65536)}\nsrv-${i}:${l}\n`));
    });
    await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
    servers.push(s);
    ports.push((s.address() as net.AddressInfo).port);
  }
});
// An upstream that sends TCP urgent data (Node cannot): "abc", MSG_OOB "U", "def\nBYE\n".
let urgent: ChildProcess | undefined;
let urgentPort = 0;
beforeAll(async () => {
  urgent = spawn(
    "python3",
    [
      "-c",
      `import socket, threading
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(16)
print(l.getsockname()[1], flush=True)
def serve(c):
    c.sendall(b"abc"); c.send(b"U", socket.MSG_OOB); c.sendall(b"def\\nBYE\\n")
    try: c.recv(1)
    except OSError: pass
    c.close()
while True:
    c, _ = l.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()`,
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  urgentPort = Number(await new Promise<string>((r) => urgent!.stdout!.once("data", (d: Buffer) => r(String(d)))));
});
afterAll(() => {
  urgent?.kill("SIGKILL");
  return Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
});

/** Opens every tunnel at once (threads), half CONNECT, half SOCKS5; prints `ok=N` and each mismatch. */
const client = `
import socket, struct, sys, threading
ports = [int(p) for p in sys.argv[1].split(",")]
got = {}
def one(i, port):
    s = socket.create_connection(("127.0.0.1", 3128 if i % 2 == 0 else 1080), timeout=20)
    if i % 2 == 0:
        s.sendall(b"CONNECT 127.0.0.1:%d HTTP/1.1\\r\\nHost: 127.0.0.1:%d\\r\\n\\r\\n" % (port, port))
        head = b""
        while b"\\r\\n\\r\\n" not in head:
            head += s.recv(1)
    else:
        s.sendall(b"\\x05\\x01\\x00")
        s.recv(2)
        s.sendall(b"\\x05\\x01\\x00\\x01" + socket.inet_aton("127.0.0.1") + struct.pack(">H", port))
        r = b""
        while len(r) < 10:
            r += s.recv(10 - len(r))
    f = s.makefile("rb")
    lines = []
    for k in range(3):
        s.sendall(b"t%d-%d\\n" % (i, k))
        f.readline()
        lines.append(f.readline().decode().strip())
    got[i] = lines
    s.close()
ts = [threading.Thread(target=one, args=(i, p)) for i, p in enumerate(ports)]
for t in ts: t.start()
for t in ts: t.join()
ok = 0
for i in range(len(ports)):
    want = ["srv-%d:t%d-%d" % (i, i, k) for k in range(3)]
    if got.get(i) == want: ok += 1
    else: print("bad%d=%s" % (i, got.get(i)))
print("ok=%d" % ok)
`;

describe.skipIf(lacking(!supported, skipReason))("one hop: srt-bridge copies its run's tunnels", () => {
  if (missingTestUser) unavailable("as srt-test: user srt-test does not exist (useradd -m srt-test)");

  describe.each(runners)("as %s", (runner) => {
    it.concurrent(
      `${count} tunnels to ${count} hosts at once, CONNECT and SOCKS5: each gets its own upstream`,
      async (ctx) => {
        const b = useBox(ctx, runner);
        writeSettings(b, { network: { allowedDomains: ["127.0.0.1"] } });
        const script = join(b.root, "tunnels.py");
        writeFileSync(script, client, { mode: 0o644 });
        const out = await srt(
          b,
          [
            "--settings",
            b.settings,
            "-d",
            "-c",
            `python3 ${script} ${ports.join(",")}; echo fds=$(ls /proc/self/fd | tr '\\n' ,)`,
          ],
          { timeoutMs: 120_000 },
        );
        expect(out.status, out.stderr).toBe(0);
        const r = report(out);
        expect(out.stdout).not.toContain("bad");
        expect(r["ok"]).toBe(String(count));
        // Nothing of the bridge's control channel (or of the relay) is a descriptor in the sandbox.
        expect(r["fds"]).toBe("0,1,2,3,");
        expect(out.stderr).toContain("srt-bridge copies this run's tunnels itself (one hop)");
      },
    );

    it.concurrent(
      "the bridge's unix sockets in the sandbox's namespace take no connection and no datagram",
      async (ctx) => {
        const b = useBox(ctx, runner);
        // allowAllUnixSockets: the command may make AF_UNIX sockets (srt's seccomp filter refuses them
        // otherwise), so every name is really tried.
        writeSettings(b, { network: { allowedDomains: ["127.0.0.1"], allowAllUnixSockets: true } });
        const script = join(b.root, "names.py");
        // While a request is half sent (its connection's autobound name is listed in /proc/net/unix;
        // once the tunnel is the bridge's own, its unix socket is gone), try every abstract name
        // there as a stream, datagram and seqpacket peer.
        writeFileSync(
          script,
          [
            "import socket, time",
            "s = socket.create_connection(('127.0.0.1', 3128), timeout=5)",
            `s.sendall(b'CONNECT 127.0.0.1:${ports[0]} HTTP/1.1\\r\\n')`,
            "time.sleep(0.3)",
            "names = [l.split()[7] for l in open('/proc/net/unix').read().splitlines()[1:] if len(l.split()) > 7 and l.split()[7].startswith('@')]",
            "reached = []; tried = 0",
            "for n in names:",
            "    a = '\\0' + n[1:]",
            "    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM, socket.SOCK_SEQPACKET):",
            "        try:",
            "            c = socket.socket(socket.AF_UNIX, kind)",
            "        except PermissionError:",
            "            continue",
            "        tried += 1",
            "        try:",
            "            if kind == socket.SOCK_DGRAM: c.sendto(b'x', a)",
            "            else: c.connect(a)",
            "            reached.append(n)",
            "        except OSError: pass",
            "        c.close()",
            "s.sendall(b'\\r\\n')",
            "head = b''",
            "while b'\\r\\n\\r\\n' not in head: head += s.recv(1)",
            "s.sendall(b'ping\\n'); f = s.makefile('rb'); f.readline()",
            "print('names=%d' % len(names)); print('tried=%d' % tried); print('reached=' + ','.join(reached)); print('tunnel=' + f.readline().decode().strip())",
          ].join("\n"),
          { mode: 0o644 },
        );
        const out = await srt(b, ["--settings", b.settings, "-c", `python3 ${script}`], { timeoutMs: 60_000 });
        expect(out.status, out.stderr).toBe(0);
        const r = report(out);
        expect(Number(r["names"])).toBeGreaterThan(0);
        expect(Number(r["tried"])).toBe(3 * Number(r["names"]));
        expect(r["reached"]).toBe("");
        expect(r["tunnel"]).toBe("srv-0:ping");
      },
    );

    it.concurrent("TCP urgent data from the upstream is carried, not a stalled tunnel", async (ctx) => {
      const b = useBox(ctx, runner);
      writeSettings(b, { network: { allowedDomains: ["127.0.0.1"] } });
      const script = join(b.root, "urgent.py");
      writeFileSync(
        script,
        [
          "import socket",
          "s = socket.create_connection(('127.0.0.1', 3128), timeout=5)",
          `s.sendall(b'CONNECT 127.0.0.1:${urgentPort} HTTP/1.1\\r\\n\\r\\n')`,
          "head = b''",
          "while b'\\r\\n\\r\\n' not in head: head += s.recv(1)",
          "got = b''",
          "try:",
          "    while b'BYE' not in got: got += s.recv(100)",
          "except OSError as e: got += b' ' + type(e).__name__.encode()",
          "print('got=' + got.decode(errors='replace').split(chr(10))[0])",
        ].join("\n"),
        { mode: 0o644 },
      );
      const out = await srt(b, ["--settings", b.settings, "-c", `python3 ${script}`], { timeoutMs: 60_000 });
      expect(out.status, out.stderr).toBe(0);
      expect(report(out)["got"]).toBe("abcUdef");
    });
  });
});

const bridgePath = findNative("srt-bridge");
const isRoot = process.getuid?.() === 0;
const hasUnshare =
  spawnSync("sh", ["-c", "command -v unshare && command -v python3"], { stdio: "ignore" }).status === 0;

interface Channel {
  writeLatin1String(req: object, data: string, handle?: unknown): number;
  readStop(): number;
}
const { WriteWrap } = (process as unknown as { binding(n: string): { WriteWrap: new () => object } }).binding(
  "stream_wrap",
);
/**
 * Starts srt-bridge in relay mode (argv after `prefix`, e.g. prlimit) in this process's network
 * namespace, waits for its "ready", and returns it with its control channel (read by nobody: the
 * tests write the relay's frames on it) and the report lines it prints.
 */
async function startBridge(
  halfCloseMs: number,
  port: number,
  proxyPath: string,
  prefix: string[] = [],
): Promise<{ bridge: ChildProcess; ch: Channel; lines: string[] }> {
  const argv = [
    bridgePath!,
    String(process.pid),
    String(process.pid),
    "0",
    `relay=${halfCloseMs}`,
    `${port}=${proxyPath}`,
  ];
  const [command, ...args] = [...prefix, ...argv];
  const bridge = spawn(command!, args, { stdio: ["ignore", "pipe", "inherit", "pipe", "ipc"] });
  const key = Object.getOwnPropertySymbols(bridge).find((s) => s.description === "kChannelHandle")!;
  const ch = (bridge as unknown as Record<symbol, Channel>)[key]!;
  ch.readStop();
  const lines: string[] = [];
  createInterface({ input: bridge.stdout! }).on("line", (l) => lines.push(l));
  await new Promise<void>((resolve, reject) => {
    bridge.stdio[3]!.once("data", () => resolve());
    bridge.once("exit", (c) => reject(new Error(`bridge exited ${c}`)));
  });
  return { bridge, ch, lines };
}

function frame(kind: string, id: number, data = ""): string {
  const h = Buffer.alloc(9);
  h.write(kind, 0, "latin1");
  h.writeUInt32LE(id, 1);
  h.writeUInt32LE(Buffer.byteLength(data), 5);
  return h.toString("latin1") + data;
}
const until = async (what: () => boolean, ms = 3000): Promise<void> => {
  for (let i = 0; i < ms / 20 && !what(); i++) await new Promise((r) => setTimeout(r, 20));
};
const sendOn = (ch: Channel, f: string, s: net.Socket): Promise<void> =>
  new Promise((resolve, reject) => {
    const req = new WriteWrap() as { oncomplete?: (status: number) => void };
    req.oncomplete = (status) => (status === 0 ? resolve() : reject(new Error(`write: ${status}`)));
    const err = ch.writeLatin1String(req, f, (s as unknown as { _handle: unknown })._handle);
    if (err !== 0) reject(new Error(`write: ${err}`));
  });

/**
 * Stands in for srt's proxy: a unix socket in a new directory that keeps every connection the bridge
 * makes. Paused (`pauseOnConnect`), what a client sent stays unread in its socket, as Node leaves it.
 */
async function stubProxy(paused: boolean): Promise<{
  readonly proxyPath: string;
  readonly accepted: net.Socket[];
  close(): void;
}> {
  const dir = mkdtempSync(join(tmpdir(), "srt-one-hop-"));
  const proxyPath = join(dir, "proxy.sock");
  const accepted: net.Socket[] = [];
  const proxy = net.createServer({ pauseOnConnect: paused }, (s) => {
    s.on("error", () => undefined);
    accepted.push(s);
  });
  await new Promise<void>((r) => proxy.listen(proxyPath, r));
  return {
    proxyPath,
    accepted,
    close() {
      for (const s of accepted) s.destroy();
      proxy.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The abstract names of pid's unix sockets (from /proc/net/unix, by inode). */
function abstractNames(pid: number): string[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // closed meanwhile
    }
  }
  return readFileSync(`/proc/${pid}/net/unix`, "utf8")
    .split("\n")
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 8 && inodes.has(f[6]!) && f[7]!.startsWith("@"))
    .map((f) => f[7]!.slice(1));
}

describe.skipIf(
  lacking(!isRoot || !hasUnshare || bridgePath === undefined, "needs root, unshare, python3 and a built srt-bridge"),
)("one hop: the bridge's hand-over protocol", () => {
  it("a socket whose peer has one of the bridge's names in another namespace is refused", async () => {
    const { proxyPath, accepted, close } = await stubProxy(false);
    // The upstream srt would have dialled for the attacker's tunnel.
    const wrong = net.createServer((s) => {
      s.on("error", () => undefined);
      s.end("WRONG-UPSTREAM\n");
    });
    await new Promise<void>((r) => wrong.listen(0, "127.0.0.1", r));
    const port = 20000 + Math.floor(Math.random() * 20000);
    let bridge: ChildProcess | undefined;
    let attacker: ChildProcess | undefined;
    const victim = new net.Socket();
    try {
      // As root, in this process's own network namespace: 127.0.0.1:port here.
      const started = await startBridge(60000, port, proxyPath);
      bridge = started.bridge;
      const { ch, lines } = started;
      // The victim: a client of the bridge, joined to srt's proxy (accepted[0]).
      let received = "";
      victim.on("data", (d: Buffer) => (received += d.toString()));
      victim.on("error", () => undefined);
      await new Promise<void>((r) => victim.connect(port, "127.0.0.1", r));
      await until(() => accepted.length >= 1, 2000);
      expect(accepted).toHaveLength(1);
      const [name] = abstractNames(bridge.pid!);
      expect(name).toBeDefined();
      // The attacker: another process, in another network namespace, binds the same abstract
      // name there and connects to srt's proxy socket: accepted[1]'s peer has the victim's name.
      attacker = spawn(
        "unshare",
        [
          "-n",
          "python3",
          "-c",
          `import socket, time
s = socket.socket(socket.AF_UNIX)
s.bind("\\0" + ${JSON.stringify(name)})
s.connect(${JSON.stringify(proxyPath)})
print("connected", flush=True)
time.sleep(30)`,
        ],
        { stdio: ["ignore", "pipe", "inherit"] },
      );
      await new Promise<void>((resolve, reject) => {
        attacker!.stdout!.once("data", () => resolve());
        attacker!.once("exit", (c) => reject(new Error(`attacker exited ${c}`)));
      });
      await until(() => accepted.length >= 2, 2000);
      expect(accepted).toHaveLength(2);
      const upstream = net.connect((wrong.address() as net.AddressInfo).port, "127.0.0.1");
      upstream.on("error", () => undefined);
      await new Promise<void>((r) => upstream.once("connect", r));
      // Hand the attacker's socket and its upstream over, as srt's relay would a tunnel.
      await sendOn(ch, frame("c", 7), accepted[1]!);
      await sendOn(ch, frame("u", 7), upstream);
      await until(() => lines.length >= 1, 2000);
      expect(lines).toEqual(["7 0 0 0 error"]);
      // The victim's connection is still its own: what srt's side writes reaches it, and no
      // byte of the other upstream does.
      accepted[0]!.write("still-mine\n");
      await until(() => received.includes("still-mine"), 2000);
      expect(received).toBe("still-mine\n");
    } finally {
      victim.destroy();
      attacker?.kill("SIGKILL");
      bridge?.kill("SIGKILL");
      close();
      wrong.close();
    }
  });

  it("out of descriptors, a hand-over fails alone: the bridge lives on", async () => {
    const { proxyPath, accepted, close } = await stubProxy(true);
    const far = net.createServer((s) => s.on("error", () => undefined));
    await new Promise<void>((r) => far.listen(0, "127.0.0.1", r));
    const port = 20000 + Math.floor(Math.random() * 20000);
    let bridge: ChildProcess | undefined;
    const clients: net.Socket[] = [];
    const upstreams: net.Socket[] = [];
    try {
      // A hard limit of 32 descriptors: the connections below use them all.
      const started = await startBridge(60000, port, proxyPath, ["prlimit", "--nofile=32:32", "--"]);
      bridge = started.bridge;
      const { ch, lines } = started;
      for (let i = 0; i < 16; i++) {
        const c = net.connect(port, "127.0.0.1");
        c.on("error", () => undefined);
        clients.push(c);
      }
      await new Promise((r) => setTimeout(r, 500));
      // The first connections live; the later ones were accepted and closed for want of descriptors.
      expect(accepted.length).toBeGreaterThan(3);
      for (let i = 0; i < 4; i++) {
        const u = net.connect((far.address() as net.AddressInfo).port, "127.0.0.1");
        u.on("error", () => undefined);
        await new Promise<void>((r) => u.once("connect", r));
        upstreams.push(u);
      }
      // More descriptors than the bridge has free: the kernel drops the last ones.
      for (let i = 0; i < 4; i++) await sendOn(ch, frame("c", 100 + i), accepted[i]!);
      for (let i = 0; i < 4; i++) await sendOn(ch, frame("u", 100 + i), upstreams[i]!);
      await until(() => lines.some((l) => l.endsWith(" error")), 2000);
      await new Promise((r) => setTimeout(r, 200));
      expect(bridge.exitCode).toBe(null);
      expect(lines.some((l) => l.endsWith(" error"))).toBe(true);
    } finally {
      for (const c of [...clients, ...upstreams]) c.destroy();
      bridge?.kill("SIGKILL");
      close();
      far.close();
    }
  });

  it("a hand-over keeps every byte in order, reports the tunnel's bytes, passes a half-close, ends idle", async () => {
    const { proxyPath, accepted, close } = await stubProxy(true);
    let atUpstream = "";
    let upstreamEnded = false;
    const far: net.Socket[] = [];
    const server = net.createServer({ allowHalfOpen: true }, (s) => {
      far.push(s);
      s.on("error", () => undefined);
      s.on("data", (d: Buffer) => (atUpstream += d.toString()));
      s.on("end", () => (upstreamEnded = true));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = 20000 + Math.floor(Math.random() * 20000);
    let bridge: ChildProcess | undefined;
    const client = new net.Socket({ allowHalfOpen: true });
    try {
      const started = await startBridge(300, port, proxyPath);
      bridge = started.bridge;
      const { ch, lines } = started;
      let atClient = "";
      let clientEnded = false;
      client.on("data", (d: Buffer) => (atClient += d.toString()));
      client.on("end", () => (clientEnded = true));
      client.on("error", () => undefined);
      await new Promise<void>((r) => client.connect(port, "127.0.0.1", r));
      await until(() => accepted.length === 1);
      const p = accepted[0]!;
      // srt's answer, then bytes the client sent after its request (unread by "srt").
      p.write("200-ok|");
      await until(() => atClient === "200-ok|");
      client.write("hello|");
      await new Promise((r) => setTimeout(r, 100));
      const upstream = net.connect((server.address() as net.AddressInfo).port, "127.0.0.1");
      upstream.on("error", () => undefined);
      await new Promise<void>((r) => upstream.once("connect", r));
      await until(() => far.length === 1);
      // srt had read "pre|" from the client and "early|" from the upstream.
      await sendOn(ch, frame("c", 9, "pre|"), p);
      await sendOn(ch, frame("u", 9, "early|"), upstream);
      upstream.destroy();
      p.destroy();
      client.write("more|");
      far[0]!.write("down|");
      await until(() => atUpstream === "pre|hello|more|" && atClient === "200-ok|early|down|");
      expect(atUpstream).toBe("pre|hello|more|");
      expect(atClient).toBe("200-ok|early|down|");
      // The client's FIN reaches the upstream; the upstream's answer after it still arrives.
      client.end();
      await until(() => upstreamEnded);
      expect(upstreamEnded).toBe(true);
      far[0]!.write("after-fin|");
      await until(() => atClient.endsWith("after-fin|"));
      expect(atClient).toBe("200-ok|early|down|after-fin|");
      // Then silence: the tunnel ends after the idle time (300 ms; swept every second).
      await until(() => lines.length > 0, 4000);
      expect(clientEnded).toBe(true);
      const [id, sent, received, , outcome] = lines[0]!.split(" ");
      expect([id, sent, received, outcome]).toEqual(["9", "15", "21", "idle"]);
    } finally {
      client.destroy();
      bridge?.kill("SIGKILL");
      for (const s of far) s.destroy();
      close();
      server.close();
    }
  });
});
