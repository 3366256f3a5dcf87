/**
 * What the owner of a proxy thread and the thread (proxy-thread.ts,
 * proxy-thread-worker.ts) say to each other: structured-clone data only.
 */
import type { NetworkPolicy } from "../../compiler/ir.js";
import type { AskAnswer, AskQuery, NetworkViolation, ProxyNetworkPolicy } from "../proxy/index.js";
import type { ProxySockets } from "./network.js";

/** The worker's workerData; `kind` tells the CLI bundle to serve proxies instead of running the CLI. */
export interface ProxyThreadData {
  readonly kind: "srt-proxy-thread";
  readonly sockets: ProxySockets;
  readonly policy: ProxyNetworkPolicy;
  /** Whether the owner has an ask callback. */
  readonly ask: boolean;
  readonly askTimeoutMs?: number | undefined;
}

export const isProxyThreadData = (v: unknown): v is ProxyThreadData =>
  typeof v === "object" && v !== null && (v as { kind?: unknown }).kind === "srt-proxy-thread";

export type ToProxyThread =
  | { readonly type: "policy"; readonly policy: Pick<NetworkPolicy, "rules" | "deniedResolvedAddresses"> }
  | { readonly type: "answer"; readonly id: number; readonly answer: AskAnswer }
  | { readonly type: "close" };

export type ToOwner =
  | { readonly type: "ready" }
  | { readonly type: "failed"; readonly message: string }
  | { readonly type: "violation"; readonly violation: NetworkViolation }
  | { readonly type: "ask"; readonly id: number; readonly query: AskQuery }
  | { readonly type: "closed" };
