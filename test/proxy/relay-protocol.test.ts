// srt-relay's control protocol (native/srt-relay/relay.c), spoken directly: half a tunnel that
// srt failed to hand over ('u' without its 'c', or 'c' then 'x') is closed and reported "error",
// and the relay goes on serving other tunnels instead of exiting with every tunnel it holds.
import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import { createInterface } from "node:readline";
import { afterEach, beforeAll, expect, it } from "vitest";
import { findNative } from "../../src/runtime/native.js";
import { eventually } from "./harness.js";

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
function relay(): { child: ChildProcess; send(f: string, s?: net.Socket): Promise<void>; lines: string[] } {
  const child = spawn(relayPath!, ["60000"], { stdio: ["ignore", "pipe", "inherit", "ipc"] });
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
  const [client, upstream] = [await pair(), await pair()];
  await r.send(frame("c", 9), client.theirs);
  await r.send(frame("u", 9), upstream.theirs);
  client.theirs.destroy();
  upstream.theirs.destroy();
  const got = new Promise<string>((resolve) => upstream.mine.once("data", (d: Buffer) => resolve(d.toString())));
  client.mine.write("through");
  expect(await got).toBe("through");
  expect(r.child.exitCode).toBeNull();
});
