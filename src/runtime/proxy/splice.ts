/**
 * Joining a client and an upstream socket. pipe() gives backpressure and
 * forwards a FIN as end() — a half-close — so `printf req | nc -N` style
 * clients still get their answer. Once either side is fully closed nobody can
 * receive what the other side still sends, so that side is flushed and then
 * destroyed; an abrupt close (RST, error) tears the other down at once. A
 * half-dead tunnel would otherwise hold a socket until close().
 */
import type net from "node:net";

export function splice(a: net.Socket, b: net.Socket): void {
  a.on("error", () => undefined);
  b.on("error", () => undefined);
  a.pipe(b);
  b.pipe(a);
  const onClose = (other: net.Socket) => (hadError: boolean) => {
    if (hadError || other.writableFinished) other.destroy();
    else {
      other.end();
      other.once("finish", () => other.destroy());
    }
  };
  a.once("close", onClose(b));
  b.once("close", onClose(a));
}
