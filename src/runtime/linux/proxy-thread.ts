/**
 * A library sandbox's proxies in a worker thread of this process, so that
 * they answer while this thread's event loop is blocked — a caller that runs
 * a wrap()ped command with spawnSync/execSync (the SandboxManager shim's
 * callers) would otherwise hang its own command's every request.
 *
 * A thread rather than a child process (measured in bench/proxy-thread.mjs):
 * it starts in a fraction of a Node start-up, ends with this process whatever
 * way it ends (no process to leak, no watchdog), and messages need no
 * serialization format of ours. The policy, the ask callback and the violation
 * list stay here: update() reaches the thread as a message, a refusal comes
 * back as one (delivered once this thread's loop runs again).
 *
 * Fail closed: the proxies listen only in the thread; if it is gone the
 * sockets are gone with it, and a command's requests are refused (its bridges
 * find nothing to connect to; `srt exec --proxies` refuses to start).
 */
import { Worker } from "node:worker_threads";
import type { NetworkPolicy } from "../../compiler/ir.js";
import type { AskAnswer, AskCallback, NetworkViolation, ProxyNetworkPolicy } from "../proxy/index.js";
import type { ProxySockets } from "./network.js";
import type { ProxyThreadData, ToOwner, ToProxyThread } from "./proxy-thread-messages.js";

export interface ProxyThreadOptions {
  /** The CLI bundle (dist/srt.mjs): the thread runs it, and it serves proxies when it is such a worker. */
  readonly srtBin: string;
  readonly sockets: ProxySockets;
  readonly policy: ProxyNetworkPolicy;
  readonly onViolation: (v: NetworkViolation) => void;
  readonly ask?: AskCallback | undefined;
  readonly askTimeoutMs?: number | undefined;
  /** Told when the thread ended without close() (its proxies are gone: every request is refused). */
  readonly onDeath?: ((why: string) => void) | undefined;
  /** How long close() waits for the thread to stop its proxies before it is terminated; default 5000 ms. */
  readonly closeTimeoutMs?: number;
}

export interface ProxyThread {
  readonly sockets: ProxySockets;
  /** From the next request on, the thread decides with these lists. */
  replace(next: Pick<NetworkPolicy, "rules" | "deniedResolvedAddresses">): void;
  /** Stops the proxies and ends the thread; idempotent. */
  close(): Promise<void>;
  /** Ends the thread at once, as a crash would (its proxies with it); for tests of what a command then gets. */
  kill(): Promise<void>;
  /** False once the thread has ended. */
  readonly alive: boolean;
}

/** Only `true` allows; the answer crosses to the thread as data, so anything else becomes a plain refusal. */
const cloneable = (a: unknown): AskAnswer =>
  a === true
    ? true
    : typeof a === "object" &&
        a !== null &&
        (a as { allow?: unknown }).allow === false &&
        typeof (a as { reason?: unknown }).reason === "string"
      ? { allow: false, reason: (a as { reason: string }).reason }
      : false;

export function startProxyThread(o: ProxyThreadOptions): Promise<ProxyThread> {
  const data: ProxyThreadData = {
    kind: "srt-proxy-thread",
    sockets: o.sockets,
    policy: o.policy,
    ask: o.ask !== undefined,
    askTimeoutMs: o.askTimeoutMs,
  };
  // Its own argv: the bundle's CLI code must see no command line of the embedder's.
  const worker = new Worker(o.srtBin, { workerData: data, argv: [], stdout: false, stderr: false });
  const send = (m: ToProxyThread): void => worker.postMessage(m);
  let alive = true;
  let closing: Promise<void> | undefined;
  const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
  return new Promise<ProxyThread>((resolve, reject) => {
    let ready = false;
    worker.on("error", (e) => {
      if (!ready) reject(e);
    });
    worker.once("exit", (code) => {
      alive = false;
      if (!ready) reject(new Error(`the proxy thread ended before its proxies listened (exit ${code})`));
      else if (closing === undefined)
        o.onDeath?.(`srt's proxy thread ended (exit ${code}): network requests are refused`);
    });
    worker.on("message", (m: ToOwner) => {
      switch (m.type) {
        case "ready":
          ready = true;
          resolve(thread);
          break;
        case "failed":
          reject(new Error(m.message));
          void worker.terminate();
          break;
        case "violation":
          o.onViolation(m.violation);
          break;
        case "ask": {
          const ask = o.ask;
          const answer = (a: unknown): void => {
            if (alive) send({ type: "answer", id: m.id, answer: cloneable(a) });
          };
          if (ask === undefined) answer(false);
          else
            Promise.resolve()
              .then(() => ask(m.query))
              .then(answer, () => answer(false));
          break;
        }
        case "closed":
          break;
      }
    });
    const thread: ProxyThread = {
      sockets: o.sockets,
      replace: (next) => {
        if (alive)
          send({
            type: "policy",
            policy: { rules: next.rules, deniedResolvedAddresses: next.deniedResolvedAddresses },
          });
      },
      close() {
        closing ??= (async () => {
          if (!alive) return;
          send({ type: "close" });
          const timer = setTimeout(() => void worker.terminate(), o.closeTimeoutMs ?? 5000);
          await exited;
          clearTimeout(timer);
        })();
        return closing;
      },
      async kill() {
        await worker.terminate();
      },
      get alive() {
        return alive;
      },
    };
  });
}
