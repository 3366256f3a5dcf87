/**
 * Joining a client and an upstream socket. pipe() gives backpressure and
 * forwards a FIN as end() — a half-close — so `printf req | nc -N` style
 * clients still get their answer. Once either side is fully closed nobody can
 * receive what the other side still sends, so that side is flushed and then
 * destroyed; an abrupt close (RST, error) tears the other down at once, with
 * a reset of its own when it is TCP.
 *
 * A FIN cannot say whether the peer half-closed or went away entirely, and
 * an upstream that never answers would then hold both sockets forever. So
 * after the first FIN the tunnel lives only while bytes keep moving:
 * `halfCloseTimeoutMs` of silence on both sockets ends it (HAProxy's
 * "timeout client-fin" does the same).
 */
import type net from "node:net";

/**
 * Ends `s` with a reset, so an error on the other side (an upstream's RST) is not passed on as a
 * clean end: a client must not take a cut-off body for a whole one. TCP: RST. A unix socket (the
 * sandbox's bridge) has no reset: `mark` (the native relay's, native-relay.ts) ends it with the
 * out-of-band byte that srt-bridge turns into a reset in the sandbox; without it, it is only closed.
 */
export function abort(s: net.Socket, mark?: (s: net.Socket) => void): void {
  try {
    s.resetAndDestroy();
    return;
  } catch {
    // not a TCP socket (ERR_INVALID_HANDLE_TYPE)
  }
  if (mark === undefined) s.destroy();
  else mark(s);
}

export function splice(a: net.Socket, b: net.Socket, halfCloseTimeoutMs: number, mark?: (s: net.Socket) => void): void {
  a.on("error", () => undefined);
  b.on("error", () => undefined);
  a.pipe(b);
  b.pipe(a);
  const onClose = (other: net.Socket) => (hadError: boolean) => {
    if (hadError) abort(other, mark);
    else if (other.writableFinished) other.destroy();
    else {
      other.end();
      other.once("finish", () => other.destroy());
    }
  };
  a.once("close", onClose(b));
  b.once("close", onClose(a));
  let halfClosed = false;
  const onEnd = (): void => {
    if (halfClosed) return;
    halfClosed = true;
    const idle = (): void => {
      a.destroy();
      b.destroy();
    };
    for (const s of [a, b]) {
      s.setTimeout(halfCloseTimeoutMs);
      s.once("timeout", idle);
    }
  };
  a.once("end", onEnd);
  b.once("end", onEnd);
}
