/**
 * Library sandboxes' proxies in a worker thread of this process, so that
 * they answer while this thread's event loop is blocked — a caller that runs
 * a wrap()ped command with spawnSync/execSync (the SandboxManager shim's
 * callers) would otherwise hang its own command's every request.
 *
 * A thread rather than a child process (measured in bench/proxy-thread.mjs):
 * it starts in a fraction of a Node start-up, ends with this process whatever
 * way it ends (no process to leak, no watchdog), and messages need no
 * serialization format of ours. One thread (a ProxyHost) serves the proxy
 * sets of any number of sandboxes: a manager with many per-command policies
 * pays for one. Each set's policy, ask callback and violation list stay here:
 * replace() reaches the thread as a message, a refusal comes back as one
 * (delivered once this thread's loop runs again).
 *
 * Fail closed: the proxies listen only in the thread; if it is gone the
 * sockets are gone with it (unlinked), and a command's requests are refused
 * (its bridges find nothing to connect to; `srt exec --proxies` refuses to
 * start). The next open() starts a new thread.
 */
import { Worker } from "node:worker_threads";
import type { NetworkPolicy } from "../../compiler/ir.js";
import type { AskAnswer, AskCallback, NetworkViolation, ProxyNetworkPolicy } from "../proxy/index.js";
import type { ProxySockets } from "./network.js";
import type { ProxyThreadData, ToOwner, ToProxyThread } from "./proxy-thread-messages.js";

export interface ProxySetOptions {
  readonly sockets: ProxySockets;
  readonly policy: ProxyNetworkPolicy;
  readonly onViolation: (v: NetworkViolation) => void;
  readonly ask?: AskCallback | undefined;
  readonly askTimeoutMs?: number | undefined;
  /** Told when the thread ended under this set (its proxies are gone: every request is refused). */
  readonly onDeath?: ((why: string) => void) | undefined;
}

/** One sandbox's proxies in the thread. */
export interface ProxyThread {
  readonly sockets: ProxySockets;
  /** From the next request on, these proxies decide with these lists. */
  replace(next: Pick<NetworkPolicy, "rules" | "deniedResolvedAddresses">): void;
  /** Stops these proxies; idempotent. */
  close(): Promise<void>;
  /** Ends the whole thread at once, as a crash would; for tests of what a command then gets. */
  kill(): Promise<void>;
  /** False once closed, or once the thread has ended. */
  readonly alive: boolean;
}

export interface ProxyHost {
  /** Starts a set of proxies in the thread (starting the thread if it is not running); rejects with why. */
  open(o: ProxySetOptions): Promise<ProxyThread>;
  /** Closes every set and ends the thread; idempotent; open() afterwards starts a new one. */
  close(): Promise<void>;
  /** Whether a thread is running. */
  readonly running: boolean;
}

export interface ProxyHostOptions {
  /** The CLI bundle (dist/srt.mjs): the thread runs it, and it serves proxies when it is such a worker. */
  readonly srtBin: string;
  /** How long close() waits for the sets to stop before the thread is terminated; default 5000 ms. */
  readonly closeTimeoutMs?: number;
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

interface SetState {
  readonly o: ProxySetOptions;
  alive: boolean;
  opened?: { resolve(t: ProxyThread): void; reject(e: Error): void } | undefined;
  closed?: (() => void) | undefined;
  readonly handle: ProxyThread;
}

interface Running {
  readonly worker: Worker;
  readonly sets: Map<number, SetState>;
  readonly exited: Promise<void>;
  ended: boolean;
}

export function createProxyHost(h: ProxyHostOptions): ProxyHost {
  let running: Running | undefined;
  let nextSet = 0;

  const start = (): Running => {
    const data: ProxyThreadData = { kind: "srt-proxy-thread" };
    // Its own argv: the bundle's CLI code must see no command line of the embedder's.
    const worker = new Worker(h.srtBin, { workerData: data, argv: [], stdout: false, stderr: false });
    const r: Running = {
      worker,
      sets: new Map(),
      exited: new Promise((resolve) => worker.once("exit", () => resolve())),
      ended: false,
    };
    // An error inside the thread ends it; "exit" below tells every set.
    worker.on("error", () => undefined);
    worker.once("exit", (code) => {
      r.ended = true;
      if (running === r) running = undefined;
      for (const s of r.sets.values()) {
        const was = s.alive;
        s.alive = false;
        s.opened?.reject(new Error(`the proxy thread ended before these proxies listened (exit ${code})`));
        s.closed?.();
        if (was && s.opened === undefined && s.closed === undefined)
          s.o.onDeath?.(`srt's proxy thread ended (exit ${code}): network requests are refused`);
      }
      r.sets.clear();
    });
    worker.on("message", (m: ToOwner) => {
      const s = r.sets.get(m.set);
      if (s === undefined) return;
      switch (m.type) {
        case "ready":
          s.opened?.resolve(s.handle);
          s.opened = undefined;
          break;
        case "failed":
          s.alive = false;
          r.sets.delete(m.set);
          s.opened?.reject(new Error(m.message));
          s.opened = undefined;
          break;
        case "violation":
          s.o.onViolation(m.violation);
          break;
        case "ask": {
          const ask = s.o.ask;
          const answer = (a: unknown): void => {
            if (s.alive) send(r, { type: "answer", set: m.set, id: m.id, answer: cloneable(a) });
          };
          if (ask === undefined) answer(false);
          else
            Promise.resolve()
              .then(() => ask(m.query))
              .then(answer, () => answer(false));
          break;
        }
        case "closed":
          r.sets.delete(m.set);
          s.closed?.();
          break;
      }
    });
    return r;
  };
  const send = (r: Running, m: ToProxyThread): void => {
    if (!r.ended) r.worker.postMessage(m);
  };

  return {
    open(o) {
      const r = (running ??= start());
      const set = nextSet++;
      let closing: Promise<void> | undefined;
      const state: SetState = {
        o,
        alive: true,
        handle: {
          sockets: o.sockets,
          replace: (next) => {
            if (state.alive)
              send(r, {
                type: "policy",
                set,
                policy: { rules: next.rules, deniedResolvedAddresses: next.deniedResolvedAddresses },
              });
          },
          close() {
            closing ??= new Promise<void>((resolve) => {
              if (!state.alive || r.ended) return resolve();
              state.alive = false;
              state.closed = resolve;
              send(r, { type: "close", set });
            });
            return closing;
          },
          async kill() {
            await r.worker.terminate();
          },
          get alive() {
            return state.alive && !r.ended;
          },
        },
      };
      r.sets.set(set, state);
      return new Promise<ProxyThread>((resolve, reject) => {
        state.opened = { resolve, reject };
        send(r, {
          type: "open",
          set,
          spec: { sockets: o.sockets, policy: o.policy, ask: o.ask !== undefined, askTimeoutMs: o.askTimeoutMs },
        });
      });
    },
    async close() {
      const r = running;
      if (r === undefined) return;
      running = undefined;
      const timer = setTimeout(() => void r.worker.terminate(), h.closeTimeoutMs ?? 5000);
      await Promise.all([...r.sets.values()].map((s) => s.handle.close()));
      clearTimeout(timer);
      await r.worker.terminate();
      await r.exited;
    },
    get running() {
      return running !== undefined;
    },
  };
}

/** A thread of its own for one set of proxies: closing the set ends the thread. */
export async function startProxyThread(o: ProxySetOptions & ProxyHostOptions): Promise<ProxyThread> {
  const host = createProxyHost(o);
  let t: ProxyThread;
  try {
    t = await host.open(o);
  } catch (e) {
    await host.close();
    throw e;
  }
  return {
    sockets: t.sockets,
    replace: (next) => t.replace(next),
    close: () => host.close(),
    kill: () => t.kill(),
    get alive() {
      return t.alive;
    },
  };
}
