/**
 * The worker side of proxy-thread.ts: a library sandbox's HTTP and SOCKS
 * proxies, served by this worker thread's event loop. The owner (the main
 * thread) keeps the policy, the ask callback and the violation list; this
 * side decides with the latest policy it was sent, asks the owner about
 * unlisted hosts (a question the owner cannot answer while it blocks in
 * spawnSync waits up to askTimeoutMs, then is refused) and sends each refusal.
 *
 * Reached through the CLI bundle (bin.ts starts it when it runs as such a
 * worker), so the library needs no second bundle and the proxies' chunk is
 * loaded only here.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { AskAnswer, AskQuery, NetworkViolation } from "../proxy/index.js";
import { createLivePolicy } from "../proxy/live-policy.js";
import { createLinuxNetwork } from "./network.js";
import { nodeNetworkOs } from "./network-os.js";
import { isProxyThreadData, type ToOwner, type ToProxyThread } from "./proxy-thread-messages.js";

export async function serveProxyThread(): Promise<void> {
  const port = parentPort;
  const data: unknown = workerData;
  if (port === null || !isProxyThreadData(data)) throw new Error("serveProxyThread runs in a proxy worker only");
  const send = (m: ToOwner): void => port.postMessage(m);
  const live = createLivePolicy(data.policy);
  const asks = new Map<number, (a: AskAnswer) => void>();
  let nextAsk = 0;
  const ask = data.ask
    ? (query: AskQuery): Promise<AskAnswer> =>
        new Promise((resolve) => {
          const id = nextAsk++;
          asks.set(id, resolve);
          send({ type: "ask", id, query: { host: query.host, port: query.port } });
        })
    : undefined;
  let network: Awaited<ReturnType<typeof createLinuxNetwork>>;
  try {
    network = await createLinuxNetwork({
      sockets: data.sockets,
      policy: live,
      onViolation: (v: NetworkViolation) => send({ type: "violation", violation: v }),
      ask,
      askTimeoutMs: data.askTimeoutMs,
      os: nodeNetworkOs,
    });
  } catch (e) {
    send({ type: "failed", message: (e as Error).message });
    port.close();
    return;
  }
  port.on("message", (m: ToProxyThread) => {
    switch (m.type) {
      case "policy":
        live.replace(m.policy);
        break;
      case "answer":
        asks.get(m.id)?.(m.answer);
        asks.delete(m.id);
        break;
      case "close":
        void network.close().finally(() => {
          // Unanswered questions are refusals.
          for (const resolve of asks.values()) resolve(false);
          asks.clear();
          send({ type: "closed" });
          // Nothing else keeps this loop alive: the thread ends.
          port.close();
        });
        break;
    }
  });
  send({ type: "ready" });
}
