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
 * The relay also ends client sockets that Node gave up on (mark): a unix
 * socket has no reset, so the relay sends srt-bridge the out-of-band byte
 * that it turns into a reset in the sandbox (relay.c, "Resets and unix
 * sockets"): Node has no way to send one.
 *
 * The relay dying (killed, crashed) closes every tunnel it held — the
 * sandboxed client sees its connections end, never a hang — and is said once
 * on stderr; the next tunnel starts a new relay.
 *
 * One hop: a run's srt-bridge can take tunnels too (bridge(), "One hop" in
 * native/srt-bridge/bridge.c). It speaks the relay's protocol on its own IPC
 * pipe, so a tunnel whose client is a unix socket (a bridge's connection) goes
 * to the bridge when exactly one is attached: the bridge finds the connection
 * the socket belongs to and joins its client's TCP socket to the upstream
 * itself, one copying hop instead of two. A socket that is not one of its
 * connections is ended as an error, never joined to another. Every other
 * tunnel (TCP clients: `srt proxy`; a library sandbox's proxies, whose thread
 * has no bridge) goes to srt-relay as before.
 */
import { spawn, type ChildProcess } from "node:child_process";
import type net from "node:net";
import { createInterface } from "node:readline";
import { abort } from "./splice.js";

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
  /**
   * Ends a client socket that is not TCP (srt-bridge's unix socket) so that the sandboxed client
   * sees a reset: handed to the relay, which marks it and closes its copy; Node's copy is destroyed.
   */
  readonly mark: (s: net.Socket) => void;
  /**
   * A run's srt-bridge, spawned with `relay=MS` and an IPC pipe: it takes the tunnels of its own
   * connections (see One hop above). Returns the detach, for when the bridge stops.
   */
  bridge(child: ChildProcess): () => void;
  /** The idle time after a half-close that a bridge taking tunnels is started with (`relay=MS`). */
  readonly halfCloseTimeoutMs: number;
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
const { WriteWrap, streamBaseState, kLastWriteWasAsync } = (
  process as unknown as {
    binding(n: string): { WriteWrap: new () => object; streamBaseState: Int32Array; kLastWriteWasAsync: number };
  }
).binding("stream_wrap");
/** Whether the last write on any stream was queued (its req's oncomplete will be called). */
const lastWriteWasAsync = (): boolean => streamBaseState[kLastWriteWasAsync] !== 0;

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

/** The most bytes a frame carries (SCRATCH in relay.c). */
const maxFrameData = 1 << 20;

const frame = (kind: "c" | "u" | "x" | "r", id: number, data: Buffer): string => {
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
  /** Attached bridges' channels (one per run; see One hop), each with the tunnels it holds. */
  const bridges = new Map<IpcHandle, Set<number>>();

  const onReports = (out: NodeJS.ReadableStream): void => {
    createInterface({ input: out }).on("line", (line) => {
      const [id, sent, received, ms, outcome] = line.split(" ");
      const r = {
        id: Number(id),
        sent: Number(sent),
        received: Number(received),
        ms: Number(ms),
        outcome: outcome ?? "",
      };
      open.delete(r.id);
      for (const ids of bridges.values()) ids.delete(r.id);
      o.onReport?.(r);
    });
  };

  const start = (): IpcHandle => {
    if (handle !== undefined) return handle;
    const c = spawn(o.path, [String(o.halfCloseTimeoutMs)], { stdio: ["ignore", "pipe", "inherit", "ipc"] });
    child = c;
    const h = channelHandle(c);
    handle = h;
    // The relay holds no reference to srt's event loop: a finished run must not wait for it.
    c.channel?.unref();
    onReports(c.stdout!);
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

  /** Writes one frame; resolves once libuv wrote it (true) or gave up on it (false). */
  const send = (h: IpcHandle, data: string, s?: net.Socket): Promise<boolean> =>
    new Promise((resolve) => {
      const req = new WriteWrap() as { oncomplete?: (status: number) => void };
      const sock = s === undefined ? undefined : (s as unknown as { _handle?: unknown })._handle;
      if (s !== undefined && (sock === undefined || sock === null)) return resolve(false);
      // Called only for a write that did not finish at once; a handle is never sent at once (Node queues it).
      req.oncomplete = (status) => resolve(status === 0);
      const err = sock === undefined ? h.writeLatin1String(req, data) : h.writeLatin1String(req, data, sock);
      if (err !== 0) resolve(false);
      else if (sock === undefined && !lastWriteWasAsync()) resolve(true);
    });

  const mark = (s: net.Socket): void => {
    // Only a unix socket's handle can be passed on (a TLS socket's is not one libuv can send).
    const kind = (s as unknown as { _handle?: { constructor: { name: string } } | null })._handle?.constructor.name;
    if (s.destroyed || closing || kind !== "Pipe") return void s.destroy();
    // Read no more; what Node still had to write is dropped, as a TCP reset drops it.
    s.pause();
    (s as unknown as { _handle?: { readStop(): number } })._handle?.readStop();
    // The frame carries the socket; ours stays open until libuv has written it (see take).
    send(start(), frame("r", 0, Buffer.alloc(0)), s).then(
      () => s.destroy(),
      () => s.destroy(),
    );
  };
  /** Ends both before a hand-over; an upstream that failed (reset) is passed on as a reset. */
  const giveUp = (client: net.Socket, upstream: net.Socket): void => {
    if (upstream.errored !== null && !client.destroyed) abort(client, mark);
    else client.destroy();
    upstream.destroy();
  };

  return {
    get open() {
      return open.size;
    },
    halfCloseTimeoutMs: o.halfCloseTimeoutMs,
    mark,
    bridge(c) {
      const h = channelHandle(c);
      c.channel?.unref();
      if (c.stdout) onReports(c.stdout);
      bridges.set(h, new Set());
      // A bridge that stopped closed every tunnel it held (the run is over, or it died).
      const detach = (): void => {
        for (const id of bridges.get(h) ?? []) open.delete(id);
        bridges.delete(h);
      };
      c.once("exit", detach);
      return detach;
    },
    take(client, upstream, toUpstream) {
      void (async () => {
        await Promise.all([flushed(client), flushed(upstream)]);
        if (client.destroyed || upstream.destroyed || closing) return giveUp(client, upstream);
        let fromClient = Buffer.concat([toUpstream, ...drain(client)]);
        let fromUpstream = Buffer.concat(drain(upstream));
        // The relay takes at most maxFrameData bytes with a descriptor: more (never seen: Node reads
        // 64 KiB at a time) is written here first, and the sockets are handed over empty-handed.
        if (fromClient.length > maxFrameData || fromUpstream.length > maxFrameData) {
          upstream.write(fromClient);
          client.write(fromUpstream);
          fromClient = fromUpstream = Buffer.alloc(0);
          await Promise.all([flushed(client), flushed(upstream)]);
          if (client.destroyed || upstream.destroyed || closing) return giveUp(client, upstream);
        }
        // A bridge's own connection (a unix socket) goes back to that bridge: one hop.
        const kind = (client as unknown as { _handle?: { constructor: { name: string } } | null })._handle?.constructor
          .name;
        const [only] = bridges.keys();
        const h = kind === "Pipe" && bridges.size === 1 && only !== undefined ? only : start();
        const id = nextId++;
        open.add(id);
        bridges.get(h)?.add(id);
        // Our sockets stay open until libuv has written each frame: it reads the descriptor to
        // send only when the frame's turn comes, and frames queue behind a full socketpair when
        // many tunnels are handed over at once (closing them first aborted srt in libuv's
        // uv__try_write, or sent nothing). Either frame may fail alone; the relay then holds half
        // a tunnel, which it closes on its own ('u' without 'c') or when told to ('x').
        const [c, u] = await Promise.all([
          send(h, frame("c", id, fromClient), client),
          send(h, frame("u", id, fromUpstream), upstream),
        ]);
        if (c && !u && (handle === h || bridges.has(h))) void send(h, frame("x", id, Buffer.alloc(0)));
        if (!c || !u) open.delete(id);
        // The relay holds its own copies now; ours only close.
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
