/**
 * Exact-length reads from a socket for small binary handshakes (SOCKS5).
 * The whole handshake has one deadline and one size bound, so a client that
 * trickles bytes or floods them costs a timer and a few hundred bytes, never
 * more. release() hands the socket back with any read-ahead unshifted, ready
 * to be spliced.
 */
import type net from "node:net";

export class HandshakeEnded extends Error {}

export interface ByteReader {
  read(n: number): Promise<Buffer>;
  release(): void;
}

export function createByteReader(socket: net.Socket, timeoutMs: number, maxBuffered: number): ByteReader {
  let buf: Buffer = Buffer.alloc(0);
  let pending: { n: number; resolve: (b: Buffer) => void; reject: (e: Error) => void } | undefined;
  let ended: Error | undefined;

  const settle = (): void => {
    if (!pending) return;
    if (buf.length >= pending.n) {
      const p = pending;
      pending = undefined;
      const out = buf.subarray(0, p.n);
      buf = buf.subarray(p.n);
      p.resolve(out);
    } else if (ended) {
      const p = pending;
      pending = undefined;
      p.reject(ended);
    }
  };
  const fail = (why: string): void => {
    ended ??= new HandshakeEnded(why);
    settle();
  };
  const onData = (chunk: Buffer): void => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    if (buf.length > maxBuffered) {
      fail("handshake too long");
      socket.destroy();
      return;
    }
    settle();
  };
  const onEnd = (): void => fail("client closed during the handshake");
  const timer = setTimeout(() => {
    fail(`handshake not completed within ${timeoutMs} ms`);
    socket.destroy();
  }, timeoutMs);
  socket.on("data", onData);
  socket.on("end", onEnd);
  socket.on("close", onEnd);

  return {
    read(n) {
      if (pending) return Promise.reject(new Error("read() while another read is pending"));
      return new Promise((resolve, reject) => {
        pending = { n, resolve, reject };
        settle();
      });
    },
    release() {
      clearTimeout(timer);
      socket.removeListener("data", onData);
      socket.removeListener("end", onEnd);
      socket.removeListener("close", onEnd);
      socket.pause();
      if (buf.length > 0) socket.unshift(buf);
      buf = Buffer.alloc(0);
    },
  };
}
