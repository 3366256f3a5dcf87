/**
 * What the owner of a proxy thread and the thread (proxy-thread.ts,
 * proxy-thread-worker.ts) say to each other: structured-clone data only. One
 * thread serves any number of proxy sets (one per sandbox), each named by the
 * number the owner gave it.
 */
import type { NetworkPolicy } from "../../compiler/ir.js";
import type { AskAnswer, AskQuery, NetworkViolation, ProxyNetworkPolicy } from "../proxy/index.js";
import type { ProxySockets } from "./network.js";

/** The worker's workerData: tells the CLI bundle to serve proxies instead of running the CLI. */
export interface ProxyThreadData {
  readonly kind: "srt-proxy-thread";
}

export const isProxyThreadData = (v: unknown): v is ProxyThreadData =>
  typeof v === "object" && v !== null && (v as { kind?: unknown }).kind === "srt-proxy-thread";

/** One sandbox's proxies: where they listen and what they decide with. */
export interface ProxySetSpec {
  readonly sockets: ProxySockets;
  readonly policy: ProxyNetworkPolicy;
  /** Whether the owner has an ask callback for this set. */
  readonly ask: boolean;
  readonly askTimeoutMs?: number | undefined;
}

export type ToProxyThread =
  | { readonly type: "open"; readonly set: number; readonly spec: ProxySetSpec }
  | {
      readonly type: "policy";
      readonly set: number;
      readonly policy: Pick<NetworkPolicy, "rules" | "deniedResolvedAddresses">;
    }
  | { readonly type: "answer"; readonly set: number; readonly id: number; readonly answer: AskAnswer }
  | { readonly type: "close"; readonly set: number };

export type ToOwner =
  | { readonly type: "ready"; readonly set: number }
  | { readonly type: "failed"; readonly set: number; readonly message: string }
  | { readonly type: "violation"; readonly set: number; readonly violation: NetworkViolation }
  | { readonly type: "ask"; readonly set: number; readonly id: number; readonly query: AskQuery }
  | { readonly type: "closed"; readonly set: number };
