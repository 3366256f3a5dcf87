/**
 * A request body forwarded upstream keeps its framing. Node's HTTP client
 * frames a body without Content-Length as chunked only for methods it
 * expects a body on; for a GET, HEAD, OPTIONS or DELETE it writes the bytes
 * bare after the head. Transfer-Encoding is hop by hop, so the proxy drops
 * the client's; without it here, a GET's chunked body would reach the
 * upstream unframed, to be read as a next request on the connection — one
 * that no filter, mask check or allow rule ever judged (request smuggling).
 */
import type { IncomingMessage } from "node:http";

const framing = /^(content-length|transfer-encoding)$/i;

/** The headers to send (a new array), with `Transfer-Encoding: chunked` added when the client's body came chunked and nothing else frames it. */
export function withBodyFraming(req: Pick<IncomingMessage, "headers">, headers: readonly string[]): string[] {
  if (req.headers["transfer-encoding"] === undefined) return [...headers];
  const framed = headers.some((h, i) => i % 2 === 0 && framing.test(h));
  return framed ? [...headers] : [...headers, "Transfer-Encoding", "chunked"];
}
