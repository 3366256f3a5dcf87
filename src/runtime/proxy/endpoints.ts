/**
 * Listening sockets and the bookkeeping that makes close() complete: every
 * accepted client and every upstream socket is tracked, and close() destroys
 * them all (a tunnel left open would keep the process and the sandbox's
 * egress alive after srt thinks it has finished).
 */
import type net from "node:net";
import type { ListenAddress, ListenTarget } from "./types.js";

export interface Endpoints {
  listen(target: ListenTarget): Promise<ListenAddress>;
  /** Registers a socket to be destroyed by close(); destroys it at once if already closed. */
  track(socket: net.Socket): void;
  close(graceMs?: number): Promise<void>;
  readonly closed: boolean;
  readonly openSockets: number;
}

/**
 * `makeServer` is called once per listen() (an http.Server is a net.Server);
 * `onSocket`, when given, receives each accepted socket after it is tracked.
 */
export function createEndpoints(makeServer: () => net.Server, onSocket?: (socket: net.Socket) => void): Endpoints {
  const servers = new Set<net.Server>();
  const sockets = new Set<net.Socket>();
  let closed = false;
  let draining = false;
  /** Set while close(graceMs) waits for the last socket. */
  let drained: (() => void) | undefined;

  const track = (socket: net.Socket): void => {
    if (closed) {
      socket.destroy();
      return;
    }
    if (sockets.has(socket)) return;
    sockets.add(socket);
    socket.once("close", () => {
      sockets.delete(socket);
      if (sockets.size === 0) drained?.();
    });
  };

  return {
    get closed() {
      return closed;
    },
    get openSockets() {
      return sockets.size;
    },
    track,
    listen(target) {
      if (closed || draining) return Promise.reject(new Error("proxy is closed"));
      const server = makeServer();
      server.on("connection", (socket: net.Socket) => {
        socket.on("error", () => undefined); // a client RST must never crash the runtime
        track(socket);
        if (!socket.destroyed) onSocket?.(socket);
      });
      servers.add(server);
      return new Promise((resolve, reject) => {
        server.once("error", (e) => {
          servers.delete(server);
          reject(e);
        });
        const ready = (): void => {
          server.removeAllListeners("error");
          // EMFILE on accept and the like: the server keeps listening; nothing to crash for.
          server.on("error", () => undefined);
          const a = server.address();
          resolve(
            a === null || typeof a === "string"
              ? { kind: "unix", path: "path" in target ? target.path : String(a) }
              : { kind: "tcp", host: a.address, port: a.port },
          );
        };
        if ("path" in target) server.listen(target.path, ready);
        else if ("fd" in target) server.listen({ fd: target.fd }, ready);
        else server.listen(target.port, target.host ?? "127.0.0.1", ready);
      });
    },
    async close(graceMs) {
      draining = true;
      // server.close() waits for connections to end; destroying them first lets it finish now.
      const waits = [...servers].map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
      if (graceMs !== undefined && graceMs > 0 && sockets.size > 0) {
        // No new clients from here on (the servers stopped accepting); open ones may finish what they started.
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((resolve) => {
          timer = setTimeout(resolve, graceMs);
          drained = resolve;
        });
        clearTimeout(timer);
        drained = undefined;
      }
      closed = true;
      for (const s of sockets) s.destroy();
      sockets.clear();
      servers.clear();
      await Promise.all(waits);
    },
  };
}
