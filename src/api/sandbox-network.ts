/**
 * One sandbox's proxies, started once and shared by every command it runs:
 * HTTP and SOCKS5 on unix sockets in the sandbox's private directory, deciding
 * each request with the live policy (update() replaces it). Each
 * run only gets bridges from its own network namespace to these sockets
 * (`startNetwork`), and the same sockets serve `srt exec --proxies DIR`
 * commands that the embedder spawns itself (wrap()).
 */
import { join } from "node:path";
import type { StartNetwork } from "../runtime/linux/index.js";
import { sandboxPorts } from "../runtime/linux/network.js";
import { directLoopback } from "../runtime/proxy/environment.js";
import { createHttpProxy, createSocksProxy, proxyEnvironment, type AskCallback, type NetworkProxy, type NetworkViolation } from "../runtime/proxy/index.js";
import type { LivePolicy } from "../runtime/proxy/live-policy.js";

export interface SandboxNetworkDeps {
  readonly dir: string;
  readonly policy: LivePolicy;
  readonly onViolation: (v: NetworkViolation) => void;
  readonly ask?: AskCallback | undefined;
  readonly askTimeoutMs?: number | undefined;
}

export interface SandboxNetwork {
  readonly startNetwork: StartNetwork;
  readonly sockets: { readonly http: string; readonly socks: string };
  close(): Promise<void>;
}

export async function createSandboxNetwork(deps: SandboxNetworkDeps): Promise<SandboxNetwork> {
  const proxyDeps = {
    network: deps.policy.current,
    onViolation: deps.onViolation,
    ...(deps.ask === undefined ? {} : { ask: deps.ask }),
    ...(deps.askTimeoutMs === undefined ? {} : { limits: { askTimeoutMs: deps.askTimeoutMs } }),
  };
  const sockets = { http: join(deps.dir, "http.sock"), socks: join(deps.dir, "socks.sock") };
  const proxies: NetworkProxy[] = [createHttpProxy(proxyDeps), createSocksProxy(proxyDeps)];
  try {
    await proxies[0]!.listen({ path: sockets.http });
    await proxies[1]!.listen({ path: sockets.socks });
  } catch (e) {
    await Promise.all(proxies.map((p) => p.close()));
    throw e;
  }
  const startNetwork: StartNetwork = async () => {
    // NO_PROXY from the policy in force now (loopback the policy allows must go through the proxy).
    return {
      env: proxyEnvironment({ httpPort: sandboxPorts.http, socksPort: sandboxPorts.socks, noProxy: directLoopback(deps.policy.current()) }),
      bridges: [
        { port: sandboxPorts.http, socket: sockets.http },
        { port: sandboxPorts.socks, socket: sockets.socks },
      ],
      // The proxies outlive the run; its bridges are the runner's to stop.
      close: async () => undefined,
    };
  };
  return {
    startNetwork,
    sockets,
    close: async () => {
      await Promise.all(proxies.map((p) => p.close()));
    },
  };
}
