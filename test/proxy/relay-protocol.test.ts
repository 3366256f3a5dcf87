// srt-relay's control protocol (native/srt-relay/relay.c), spoken directly: half a tunnel that
// srt failed to hand over ('u' without its 'c', or 'c' then 'x') is closed and reported "error",
// and the relay goes on serving other tunnels instead of exiting with every tunnel it holds. And
// 'r': a socket srt gave up on ends as a reset (TCP) or with the out-of-band mark (unix) that
// srt-bridge turns into a reset in the sandbox, also when the socket's buffer is full, and
// Node's own copier sends it through the relay (TunnelRelay.mark).
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { findNative } from "../../src/runtime/native.js";
import { createNativeRelay } from "../../src/runtime/proxy/native-relay.js";
import { splice } from "../../src/runtime/proxy/splice.js";
import { eventually } from "./harness.js";
import { lacking } from "../support/requirements.js";

const relayPath = findNative("srt-relay");
beforeAll(() => {
  expect(relayPath, "dist/native/srt-relay (npm run build)").toBeDefined();
});
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

interface Channel {
  writeLatin1String(req: object, data: string, handle?: unknown): number;
  readStop(): number;
}
const { WriteWrap } = (process as unknown as { binding(n: string): { WriteWrap: new () => object } }).binding(
  "stream_wrap",
);

function frame(kind: string, id: number, data = Buffer.alloc(0)): string {
  const h = Buffer.alloc(9);
  h.write(kind, 0, "latin1");
  h.writeUInt32LE(id, 1);
  h.writeUInt32LE(data.length, 5);
  return Buffer.concat([h, data]).toString("latin1");
}

/** The relay, with a way to send frames (waiting until each is written) and its report lines. */
function relay(
  halfCloseMs = 60_000,
  opts: { prefix?: readonly string[]; args?: readonly string[] } = {},
): {
  child: ChildProcess;
  send(f: string, s?: net.Socket): Promise<void>;
  lines: string[];
} {
  const argv = [...(opts.prefix ?? []), relayPath!, String(halfCloseMs), ...(opts.args ?? [])];
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "pipe", "inherit", "ipc"] });
  cleanups.push(() => child.kill("SIGKILL"));
  const key = Object.getOwnPropertySymbols(child).find((s) => s.description === "kChannelHandle")!;
  const ch = (child as unknown as Record<symbol, Channel>)[key]!;
  ch.readStop();
  const lines: string[] = [];
  createInterface({ input: child.stdout! }).on("line", (l) => lines.push(l));
  const send = (f: string, s?: net.Socket): Promise<void> =>
    new Promise((resolve, reject) => {
      const req = new WriteWrap() as { oncomplete?: (status: number) => void };
      req.oncomplete = (status) => (status === 0 ? resolve() : reject(new Error(`write: ${status}`)));
      const handle = s === undefined ? undefined : (s as unknown as { _handle: unknown })._handle;
      const err = handle === undefined ? ch.writeLatin1String(req, f) : ch.writeLatin1String(req, f, handle);
      if (err !== 0) reject(new Error(`write: ${err}`));
      // A write without a descriptor may finish at once, without oncomplete.
      else if (handle === undefined) setTimeout(resolve, 50);
    });
  return { child, send, lines };
}

/** A connected pair: `mine` stays with the test, `theirs` is handed to the relay. */
async function pair(): Promise<{ mine: net.Socket; theirs: net.Socket }> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const accepted = new Promise<net.Socket>((r) => server.once("connection", r));
  const mine = net.connect((server.address() as net.AddressInfo).port, "127.0.0.1");
  mine.on("error", () => undefined);
  const theirs = await accepted;
  server.close();
  cleanups.push(() => (mine.destroy(), theirs.destroy()));
  return { mine, theirs };
}

const closed = (s: net.Socket): Promise<void> => new Promise((r) => (s.closed ? r() : s.once("close", () => r())));

/** A whole tunnel handed to the relay (a 'c' and a 'u' with this id) carries bytes from client to upstream. */
async function expectTunnel(r: ReturnType<typeof relay>, id: number): Promise<void> {
  const [client, upstream] = [await pair(), await pair()];
  await r.send(frame("c", id), client.theirs);
  await r.send(frame("u", id), upstream.theirs);
  client.theirs.destroy();
  upstream.theirs.destroy();
  const got = new Promise<string>((resolve) => upstream.mine.once("data", (d: Buffer) => resolve(d.toString())));
  client.mine.write(`tunnel ${id}`);
  expect(await got).toBe(`tunnel ${id}`);
}

it("closes an upstream without its client and one aborted by 'x', and serves the next tunnel", async () => {
  const r = relay();
  // 'u' 7 without a 'c' 7.
  const lone = await pair();
  await r.send(frame("u", 7), lone.theirs);
  lone.theirs.destroy();
  lone.mine.resume();
  await closed(lone.mine);
  // 'c' 8, then 'x' 8 (srt could not send its 'u').
  const aborted = await pair();
  await r.send(frame("c", 8), aborted.theirs);
  aborted.theirs.destroy();
  await r.send(frame("x", 8));
  aborted.mine.resume();
  await closed(aborted.mine);
  expect(await eventually(() => r.lines.length === 2)).toBe(true);
  expect(r.lines.map((l) => [l.split(" ")[0], l.split(" ")[4]])).toEqual([
    ["7", "error"],
    ["8", "error"],
  ]);
  // A whole tunnel still works: bytes from one end arrive at the other.
  await expectTunnel(r, 9);
  expect(r.child.exitCode).toBeNull();
});

it("out of descriptors, a dropped one fails its tunnel alone: the relay lives on", async () => {
  // A hard limit of 8 (the relay raises its soft limit to the hard one): 0–4 are stdio, the
  // channel and epoll, so three handed sockets fill it. "copy": no pipes, two descriptors a tunnel.
  const r = relay(60_000, { prefix: ["prlimit", "--nofile=8:8", "--"], args: ["copy"] });
  const held = [await pair(), await pair(), await pair()];
  for (const [i, p] of held.entries()) await r.send(frame("c", i + 1), p.theirs);
  // The kernel drops the 'c' and 'u' descriptors of tunnel 4 on their way in (MSG_CTRUNC).
  const [lostClient, lostUpstream] = [await pair(), await pair()];
  await r.send(frame("c", 4), lostClient.theirs);
  await r.send(frame("u", 4), lostUpstream.theirs);
  for (const p of [...held, lostClient, lostUpstream]) p.theirs.destroy();
  expect(await eventually(() => r.lines.length === 1)).toBe(true);
  expect(r.lines[0]!.split(" ")[0]).toBe("4");
  expect(r.lines[0]!.split(" ")[4]).toBe("error");
  expect(r.child.exitCode).toBeNull();
  // Freed descriptors serve the next tunnel.
  await r.send(frame("x", 1));
  await r.send(frame("x", 2));
  expect(await eventually(() => r.lines.length === 3)).toBe(true);
  await expectTunnel(r, 5);
  expect(r.child.exitCode).toBeNull();
});

it("'r' ends a TCP socket with a reset, reports nothing and keeps serving", async () => {
  const r = relay();
  const p = await pair();
  p.mine.resume();
  const how = new Promise<string>((resolve) => {
    p.mine.on("end", () => resolve("end"));
    p.mine.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
  await r.send(frame("r", 0), p.theirs);
  p.theirs.destroy();
  expect(await how).toBe("ECONNRESET");
  await expectTunnel(r, 1);
  expect(r.lines).toEqual([]);
  expect(r.child.exitCode).toBeNull();
});

// Node cannot read an out-of-band byte; Python can (select's exceptional set, recv MSG_OOB).
const python = ["/usr/bin/python3", "/usr/local/bin/python3"].find((p) => existsSync(p));
const peerScript = `
import select, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
print("connected", flush=True)
wait = float(sys.stdin.readline())  # reads nothing before this: the buffer stays as full as srt left it
_, _, x = select.select([], [], [s], wait)
print("mark " + s.recv(1, socket.MSG_OOB).decode() if x else "none", flush=True)
`;

/** A unix socket pair: `theirs` accepted here (srt's side), its peer a Python process that reports the mark. */
async function unixPeer(): Promise<{ theirs: net.Socket; check(waitS?: number): Promise<string> }> {
  const dir = mkdtempSync(join(tmpdir(), "srt-relay-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(join(dir, "s"), r));
  const accepted = new Promise<net.Socket>((r) => server.once("connection", r));
  const py = spawn(python!, ["-c", peerScript, join(dir, "s")], { stdio: ["pipe", "pipe", "inherit"] });
  cleanups.push(() => py.kill("SIGKILL"));
  const lines = createInterface({ input: py.stdout! });
  const next = (): Promise<string> => new Promise((r) => lines.once("line", r));
  expect(await next()).toBe("connected");
  const theirs = await accepted;
  server.close();
  theirs.on("error", () => undefined);
  cleanups.push(() => theirs.destroy());
  return {
    theirs,
    check: (waitS = 5) => {
      py.stdin!.write(`${waitS}\n`);
      return next();
    },
  };
}

describe.skipIf(
  lacking(python === undefined, "python3 is missing (apt-get install python3): the reset mark cannot be read"),
)("the reset mark on a unix client (srt-bridge's side)", () => {
  it("'r' sends one out-of-band byte, even when the client's buffer is full", async () => {
    const r = relay();
    const quiet = await unixPeer();
    await r.send(frame("r", 0), quiet.theirs);
    quiet.theirs.destroy();
    expect(await quiet.check()).toBe("mark !");
    // A client that reads nothing while srt writes: the socket's send buffer is full.
    const slow = await unixPeer();
    slow.theirs.write(Buffer.alloc(4 << 20));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(slow.theirs.writableLength).toBeGreaterThan(0);
    await r.send(frame("r", 0), slow.theirs);
    slow.theirs.destroy();
    expect(await slow.check()).toBe("mark !");
  });

  it("Node's copier (splice.ts) marks its unix client through the relay when its upstream resets", async () => {
    const relay = createNativeRelay({ path: relayPath!, halfCloseTimeoutMs: 60_000 });
    cleanups.push(() => relay.close());
    const client = await unixPeer();
    const upstream = await pair();
    splice(client.theirs, upstream.theirs, 60_000, relay.mark);
    // As in native-relay.test.ts: the reset comes after the bytes were read (Node may take a reset
    // that arrives with unread bytes for an end, which no copier can pass on as a reset).
    upstream.mine.write("part of a body", () => setTimeout(() => upstream.mine.resetAndDestroy(), 100));
    expect(await client.check()).toBe("mark !");
  });

  it("an upstream reset marks the tunnel's unix client; a clean end does not", async () => {
    // The client never half-closes: after the upstream's FIN the tunnel ends idle, 300 ms later.
    const r = relay(300);
    for (const [id, reset] of [
      [1, true],
      [2, false],
    ] as const) {
      const client = await unixPeer();
      const upstream = await pair();
      await r.send(frame("c", id), client.theirs);
      await r.send(frame("u", id), upstream.theirs);
      client.theirs.destroy();
      upstream.theirs.destroy();
      upstream.mine.write("part of a body", () => (reset ? upstream.mine.resetAndDestroy() : upstream.mine.end()));
      expect(await eventually(() => r.lines.length === id)).toBe(true);
      expect(await client.check(reset ? 5 : 0.5)).toBe(reset ? "mark !" : "none");
    }
    expect(r.lines.map((l) => l.split(" ")[4])).toEqual(["error", "idle"]);
  });
});
