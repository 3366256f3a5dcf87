/**
 * Tunnels copied by srt's native relay (native/srt-relay) instead of Node:
 * once a proxy has decided and dialled, both sockets are handed over by
 * SCM_RIGHTS on a socketpair the relay got at spawn (its fd 3), and Node's
 * copies are closed. Policy stays here: the relay only copies what was
 * already allowed, and --control-fd updates apply to new tunnels as before.
 *
 * Node has no public API to send a descriptor with bytes of our choosing;
 * the one stream that can is an IPC pipe (libuv's uv_write2). We take the
 * 'ipc' stdio slot's pipe handle and write our own frames on it (the relay's
 * protocol is at the top of relay.c), and never use Node's message channel
 * on it. Reports come back as text lines on the relay's stdout.
 *
 * The relay dying (killed, crashed) closes every tunnel it held — the
 * sandboxed client sees its connections end, never a hang — and is said once
 * on stderr; the next tunnel starts a new relay.
 */
import { spawn, type ChildProcess } from "node:child_process";
import type net from "node:net";
import { createInterface } from "node:readline";

export interface TunnelReport {
  readonly id: number;
  readonly sent: number;
  readonly received: number;
  readonly ms: number;
  readonly outcome: string;
}

export interface TunnelRelay {
  /** Takes both sockets over; `toUpstream` are bytes already read from the client. */
  take(client: net.Socket, upstream: net.Socket, toUpstream: Buffer): void;
  /** Tunnels handed over and not yet reported finished. */
  readonly open: number;
  /** Stops the relay: every tunnel it holds closes. */
  close(): Promise<void>;
}

export interface NativeRelayOptions {
  readonly path: string;
  readonly halfCloseTimeoutMs: number;
  /** Told once per relay that died while srt still needed it. */
  readonly onDeath?: (why: string) => void;
  readonly onReport?: (r: TunnelReport) => void;
}

interface IpcHandle {
  writeLatin1String(req: object, data: string, handle?: unknown): number;
  readStop(): number;
  onread: unknown;
}

// process.binding is deprecated only in documentation (DEP0111); stream_wrap stays on its allow list.
const { WriteWrap } = (process as unknown as { binding(n: string): { WriteWrap: new () => object } }).binding(
  "stream_wrap",
);

function channelHandle(child: ChildProcess): IpcHandle {
  const key = Object.getOwnPropertySymbols(child).find((s) => s.description === "kChannelHandle");
  const handle = key === undefined ? undefined : (child as unknown as Record<symbol, IpcHandle | undefined>)[key];
  if (handle === undefined || typeof handle.writeLatin1String !== "function")
    throw new Error("this Node has no IPC pipe handle to pass sockets on");
  // Node's message parser is never used on this pipe: the relay writes nothing on it.
  handle.readStop();
  return handle;
}

/** Everything Node already read from `s` and has not delivered; stops reading first. */
function drain(s: net.Socket): Buffer[] {
  const out: Buffer[] = [];
  s.pause();
  for (let c = s.read() as Buffer | null; c !== null; c = s.read() as Buffer | null) out.push(c);
  // Synchronous since the reads: no libuv read callback ran in between, so the rest is in the kernel.
  (s as unknown as { _handle?: { readStop(): number } })._handle?.readStop();
  return out;
}

const frame = (kind: "c" | "u", id: number, data: Buffer): string => {
  const h = Buffer.alloc(9);
  h.write(kind, 0, "latin1");
  h.writeUInt32LE(id, 1);
  h.writeUInt32LE(data.length, 5);
  return Buffer.concat([h, data]).toString("latin1");
};

const flushed = (s: net.Socket): Promise<void> =>
  s.writableLength === 0 ? Promise.resolve() : new Promise((resolve) => s.write(Buffer.alloc(0), () => resolve()));

export function createNativeRelay(o: NativeRelayOptions): TunnelRelay {
  let child: ChildProcess | undefined;
  let handle: IpcHandle | undefined;
  let closing = false;
  let nextId = 1;
  const open = new Set<number>();

  const start = (): IpcHandle => {
    if (handle !== undefined) return handle;
    const c = spawn(o.path, [String(o.halfCloseTimeoutMs)], { stdio: ["ignore", "pipe", "inherit", "ipc"] });
    child = c;
    const h = channelHandle(c);
    handle = h;
    // The relay holds no reference to srt's event loop: a finished run must not wait for it.
    c.channel?.unref();
    createInterface({ input: c.stdout! }).on("line", (line) => {
      const [id, sent, received, ms, outcome] = line.split(" ");
      const r = {
        id: Number(id),
        sent: Number(sent),
        received: Number(received),
        ms: Number(ms),
        outcome: outcome ?? "",
      };
      open.delete(r.id);
      o.onReport?.(r);
    });
    c.on("exit", (code, signal) => {
      if (child === c) {
        child = undefined;
        handle = undefined;
      }
      const lost = open.size;
      open.clear();
      if (!closing) o.onDeath?.(`srt's native relay exited (${signal ?? `status ${code}`}); ${lost} tunnel(s) closed`);
    });
    c.on("error", () => undefined);
    return h;
  };

  const send = (h: IpcHandle, data: string, s: net.Socket): boolean => {
    const req = new WriteWrap();
    const sock = (s as unknown as { _handle?: unknown })._handle;
    return sock !== undefined && h.writeLatin1String(req, data, sock) === 0;
  };

  return {
    get open() {
      return open.size;
    },
    take(client, upstream, toUpstream) {
      void (async () => {
        await Promise.all([flushed(client), flushed(upstream)]);
        if (client.destroyed || upstream.destroyed || closing) {
          client.destroy();
          upstream.destroy();
          return;
        }
        const h = start();
        const id = nextId++;
        const fromClient = Buffer.concat([toUpstream, ...drain(client)]);
        const fromUpstream = Buffer.concat(drain(upstream));
        // Both frames in one synchronous step: no other tunnel's frame can come between them.
        const ok = send(h, frame("c", id, fromClient), client) && send(h, frame("u", id, fromUpstream), upstream);
        if (ok) open.add(id);
        // The relay holds its own copies (in flight on the socketpair are references too); ours only close.
        client.destroy();
        upstream.destroy();
      })().catch(() => {
        client.destroy();
        upstream.destroy();
      });
    },
    async close() {
      closing = true;
      const c = child;
      if (c === undefined || c.exitCode !== null || c.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        c.once("exit", () => resolve());
        c.kill("SIGKILL");
      });
    },
  };
}
