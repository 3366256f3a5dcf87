/**
 * The worker side of proxy-thread.ts: library sandboxes' HTTP and SOCKS
 * proxies, served by this worker thread's event loop — one set per sandbox,
 * opened and closed by the owner (the main thread). The owner keeps each
 * set's policy, ask callback and violation list; a set decides with the
 * latest policy it was sent, asks the owner about unlisted hosts (a question
 * the owner cannot answer while it blocks in spawnSync waits up to
 * askTimeoutMs, then is refused) and sends each refusal.
 *
 * Reached through the CLI bundle (bin.ts starts it when it runs as such a
 * worker), so the library needs no second bundle and the proxies' modules are
 * initialized only here. The thread ends when the owner closes its port.
 */
import { parentPort } from "node:worker_threads";
import type { AskAnswer, AskQuery, NetworkViolation } from "../proxy/index.js";
import { createLivePolicy, type LivePolicy } from "../proxy/live-policy.js";
import { createLinuxNetwork, type LinuxNetwork } from "./network.js";
import { nodeNetworkOs } from "./network-os.js";
import type { ProxySetSpec, ToOwner, ToProxyThread } from "./proxy-thread-messages.js";

interface ProxySet {
  readonly live: LivePolicy;
  readonly asks: Map<number, (a: AskAnswer) => void>;
  network?: Promise<LinuxNetwork | undefined>;
}

export function serveProxyThread(): void {
  const port = parentPort;
  if (port === null) throw new Error("serveProxyThread runs in a proxy worker only");
  const send = (m: ToOwner): void => port.postMessage(m);
  const sets = new Map<number, ProxySet>();
  let nextAsk = 0;

  const open = (set: number, spec: ProxySetSpec): void => {
    const s: ProxySet = { live: createLivePolicy(spec.policy), asks: new Map() };
    sets.set(set, s);
    const ask = spec.ask
      ? (query: AskQuery): Promise<AskAnswer> =>
          new Promise((resolve) => {
            const id = nextAsk++;
            s.asks.set(id, resolve);
            send({ type: "ask", set, id, query: { host: query.host, port: query.port } });
          })
      : undefined;
    s.network = createLinuxNetwork({
      sockets: spec.sockets,
      policy: s.live,
      onViolation: (v: NetworkViolation) => send({ type: "violation", set, violation: v }),
      ask,
      askTimeoutMs: spec.askTimeoutMs,
      os: nodeNetworkOs,
    }).then(
      (n) => (send({ type: "ready", set }), n),
      (e: Error) => {
        sets.delete(set);
        send({ type: "failed", set, message: e.message });
        return undefined;
      },
    );
  };

  const close = (set: number): void => {
    const s = sets.get(set);
    if (s === undefined) return send({ type: "closed", set });
    sets.delete(set);
    void s.network
      ?.then((n) => n?.close())
      .finally(() => {
        // Unanswered questions are refusals.
        for (const resolve of s.asks.values()) resolve(false);
        send({ type: "closed", set });
      });
  };

  port.on("message", (m: ToProxyThread) => {
    switch (m.type) {
      case "open":
        open(m.set, m.spec);
        break;
      case "policy":
        sets.get(m.set)?.live.replace(m.policy);
        break;
      case "answer": {
        const asks = sets.get(m.set)?.asks;
        asks?.get(m.id)?.(m.answer);
        asks?.delete(m.id);
        break;
      }
      case "close":
        close(m.set);
        break;
    }
  });
}
