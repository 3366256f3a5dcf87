/**
 * What the network session (network.ts) asks of the operating system, on
 * Node: srt's proxies, a unix→TCP relay to the user's own proxy, and a probe
 * that a library sandbox's proxies answer. Loaded only by a run that reaches
 * the network (it pulls in node:net, node:http and the proxy code).
 */
import net from "node:net";
import * as proxy from "../proxy/index.js";
import { createNativeRelay } from "../proxy/native-relay.js";
import { defaultLimits } from "../proxy/types.js";
import { findNative } from "../native.js";
import type { NetworkOs } from "./network.js";

export const nodeNetworkOs: NetworkOs = { proxy, relay, probe, nativeRelay };

/**
 * Tunnels are copied by srt's native relay (native/srt-relay), started with the first tunnel so a
 * run that opens none never spawns it. Node copies them only when the helper is not built
 * (`srt doctor` says so, and `-d` on every run).
 */
function nativeRelay(onDeath: (why: string) => void): proxy.TunnelRelay | undefined {
  const path = findNative("srt-relay");
  return path === undefined
    ? undefined
    : createNativeRelay({ path, halfCloseTimeoutMs: defaultLimits.halfCloseTimeoutMs, onDeath });
}

/**
 * A unix socket at `path` whose every connection goes on to 127.0.0.1:port on
 * the host. The bridge that reaches this socket lives in the sandbox's network
 * namespace and cannot reach the host's loopback itself.
 */
async function relay(path: string, port: number): Promise<{ close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: "127.0.0.1", port });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("error", () => s.destroy());
      s.on("close", () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, resolve);
  });
  return {
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Connects; with a greeting, waits for the first byte of an answer. Rejects with what went wrong. */
function probe(path: string, greeting: Uint8Array | undefined, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = net.connect(path);
    const end = (why?: string): void => {
      clearTimeout(timer);
      s.destroy();
      if (why === undefined) resolve();
      else reject(new Error(why));
    };
    const timer = setTimeout(() => end(`did not answer within ${timeoutMs} ms`), timeoutMs);
    s.on("error", (e: NodeJS.ErrnoException) => end(`are not reachable (${e.code ?? e.message})`));
    s.on("connect", () => (greeting === undefined ? end() : s.write(greeting)));
    s.on("data", () => end());
  });
}
