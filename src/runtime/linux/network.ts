/**
 * The network side of a Linux run: srt's HTTP and SOCKS5 proxies on unix
 * sockets in the run directory (bridged to 127.0.0.1:3128 and :1080 inside
 * the sandbox), the violation store, and the one-line report at the end. With
 * `httpProxyPort`/`socksProxyPort` the bridge leads to the user's own proxy
 * on the host's loopback instead (through a small unix→TCP relay, because
 * the bridge lives in the sandbox's network namespace and cannot reach the
 * host's loopback itself).
 *
 * The proxy code is imported lazily: a run without network access never
 * loads it, which keeps start-up short.
 */
import type { Socket } from "node:net";
import type { LinuxPlan } from "../../backends/bwrap/index.js";
import { directLoopback } from "../proxy/environment.js";
import type { NetworkSession, StartNetwork } from "./run.js";
import type { RunDir } from "./run-dir.js";
import type { LivePolicy } from "../proxy/live-policy.js";

export const sandboxPorts = { http: 3128, socks: 1080 } as const;

/**
 * sockaddr_un.sun_path holds 108 bytes including the NUL (unix(7)). Node's
 * listen() on a longer path does not fail: libuv truncates it, so the socket
 * lands on a shorter path — outside the private run dir, left behind on the
 * host — and socat's UNIX-CONNECT to the full path never reaches it.
 */
const maxSocketPath = 107;

export interface LinuxNetworkOptions {
  readonly quiet: boolean;
  readonly violations?: string | undefined;
  readonly err: (text: string) => void;
  /** The command, for ignoreViolations matching. */
  readonly command: readonly string[];
  /** Decides each request; --control-fd replaces it while the command runs. */
  readonly policy: LivePolicy;
}

export interface LinuxNetwork {
  readonly start: StartNetwork;
  /** Prints the summary of blocked requests (unless quiet) and flushes the violations file. */
  report(): void;
}

export function startLinuxNetwork(opts: LinuxNetworkOptions): LinuxNetwork {
  let summary: (() => string | undefined) | undefined;
  const start = async (plan: LinuxPlan, run: RunDir): Promise<NetworkSession> => {
    for (const path of [run.httpSocket, run.socksSocket]) {
      const bytes = Buffer.byteLength(path);
      if (bytes > maxSocketPath)
        throw new Error(`the proxy socket path ${path} is ${bytes} bytes, more than a unix socket allows (${maxSocketPath}); set TMPDIR to a shorter directory`);
    }
    const proxy = await import("../proxy/index.js");
    // No proxy secret: the proxies listen only on unix sockets inside the run directory (mode 0700,
    // hidden inside the sandbox), and 3128/1080 exist only in the sandbox's own network namespace.
    // Other users cannot reach them; the user's own processes need no borrowing. A secret would
    // only break clients that cannot send proxy credentials (nc -X 5, the JVM).
    const store = proxy.createViolationStore(opts.violations === undefined ? {} : { file: opts.violations });
    const closers: (() => Promise<unknown>)[] = [];
    const net_ = plan.network.policy;
    const deps = { network: opts.policy.current, onViolation: store.record };
    try {
      if (net_.httpProxyPort === undefined) {
        const http = proxy.createHttpProxy(deps);
        closers.push(() => http.close());
        await http.listen({ path: run.httpSocket });
      } else closers.push(await relay(run.httpSocket, net_.httpProxyPort));
      if (net_.socksProxyPort === undefined) {
        const socks = proxy.createSocksProxy(deps);
        closers.push(() => socks.close());
        await socks.listen({ path: run.socksSocket });
      } else closers.push(await relay(run.socksSocket, net_.socksProxyPort));
    } catch (e) {
      await Promise.all(closers.map((c) => c()));
      throw e;
    }
    summary = () => proxy.reportLine(store, plan.ignoreViolations, opts.command);
    closers.push(async () => {
      const error = await store.close();
      if (error) opts.err(`srt: could not write ${opts.violations}: ${error.message}\n`);
    });
    return {
      env: proxy.proxyEnvironment({ httpPort: sandboxPorts.http, socksPort: sandboxPorts.socks, noProxy: directLoopback(plan.network.policy) }),
      bridges: [
        { port: sandboxPorts.http, socket: run.httpSocket },
        { port: sandboxPorts.socks, socket: run.socksSocket },
      ],
      close: async () => {
        for (const c of closers) await c();
      },
    };
  };
  return {
    start,
    report() {
      const line = summary?.();
      if (line !== undefined && !opts.quiet) opts.err(line + "\n");
    },
  };
}

/** A unix socket that forwards every connection to 127.0.0.1:port on the host. */
async function relay(path: string, port: number): Promise<() => Promise<void>> {
  const net = await import("node:net");
  const sockets = new Set<Socket>();
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
  return () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
}
