/**
 * The last step of a CONNECT or SOCKS tunnel the gate allowed: the native
 * relay when the run has one, else Node's splice.
 */
import type net from "node:net";
import type { TunnelRelay } from "./native-relay.js";
import { splice } from "./splice.js";

export function joinTunnel(
  relay: TunnelRelay | undefined,
  client: net.Socket,
  upstream: net.Socket,
  toUpstream: Buffer,
  halfCloseTimeoutMs: number,
): void {
  if (relay !== undefined) return relay.take(client, upstream, toUpstream);
  if (toUpstream.length > 0) upstream.write(toUpstream);
  splice(client, upstream, halfCloseTimeoutMs);
}
