/**
 * `srt exec --proxies DIR`: the run uses the proxies of a library sandbox
 * (http.sock and socks.sock in DIR, see src/api/sandbox-network.ts) instead of
 * starting its own, so the sandbox's live policy, ask callback and violation
 * list apply to commands the embedder spawns itself.
 *
 * Those proxies run in the embedder's event loop. If the embedder spawned us
 * synchronously (spawnSync, execSync), that loop is blocked until we exit and
 * every request would hang: so before the command starts, a SOCKS5 greeting
 * must be answered, or the run fails at once with the reason.
 */
import net from "node:net";
import { join } from "node:path";
import type { LinuxPlan } from "../backends/bwrap/index.js";
import type { StartNetwork } from "../runtime/linux/index.js";
import { sandboxPorts } from "../runtime/linux/network.js";
import { directLoopback } from "../runtime/proxy/environment.js";

export function externalProxies(dir: string, timeoutMs = 2000): StartNetwork {
  const http = join(dir, "http.sock");
  const socks = join(dir, "socks.sock");
  return async (plan: LinuxPlan) => {
    await probe(http, undefined, timeoutMs);
    await probe(socks, Buffer.from([5, 1, 0]), timeoutMs);
    const { proxyEnvironment } = await import("../runtime/proxy/index.js");
    return {
      env: proxyEnvironment({ httpPort: sandboxPorts.http, socksPort: sandboxPorts.socks, noProxy: directLoopback(plan.network.policy) }),
      bridges: [
        { port: sandboxPorts.http, socket: http },
        { port: sandboxPorts.socks, socket: socks },
      ],
      close: async () => undefined,
    };
  };
}

/** Connects; with a greeting, waits for the first byte of an answer. */
function probe(path: string, greeting: Buffer | undefined, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = net.connect(path);
    const fail = (why: string): void => {
      s.destroy();
      reject(
        new Error(
          `the sandbox's proxies at ${path} ${why}: the process that created the sandbox must be alive and its event loop free — run wrap()ped commands with an asynchronous spawn, never spawnSync/execSync`,
        ),
      );
    };
    const timer = setTimeout(() => fail(`did not answer within ${timeoutMs} ms`), timeoutMs);
    s.on("error", (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      fail(`are not reachable (${e.code ?? e.message})`);
    });
    s.on("connect", () => {
      if (greeting === undefined) {
        clearTimeout(timer);
        s.destroy();
        resolve();
      } else s.write(greeting);
    });
    s.on("data", () => {
      clearTimeout(timer);
      s.destroy();
      resolve();
    });
  });
}
