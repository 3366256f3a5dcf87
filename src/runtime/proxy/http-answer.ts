/**
 * The proxy's own answers (refusals and errors). A refusal must be
 * unmistakable to a human and a program: the status text and the body carry
 * the reason, and `X-Srt-Refused` says srt (not the server) refused.
 */
import type { ServerResponse } from "node:http";
import type net from "node:net";
import { printable } from "./printable.js";

export const statusTexts: Readonly<Record<number, string>> = {
  400: "Bad Request",
  403: "Forbidden",
  408: "Request Timeout",
  431: "Request Header Fields Too Large",
  502: "Bad Gateway",
  504: "Gateway Timeout",
};

export interface Answer {
  readonly status: number;
  readonly reason: string;
  /** A policy refusal (403) is marked with X-Srt-Refused. */
  readonly refused?: boolean;
}

function answerParts(a: Answer): { statusText: string; headers: [string, string][]; body: string } {
  const reason = printable(a.reason);
  const base = statusTexts[a.status] ?? "Error";
  const statusText = a.refused ? `${base} by srt: ${reason}` : base;
  const body = `srt proxy: ${a.refused ? "refused" : base.toLowerCase()}: ${reason}\n`;
  const headers: [string, string][] = [
    ["Content-Type", "text/plain; charset=utf-8"],
    ["Content-Length", String(Buffer.byteLength(body))],
    ["Proxy-Agent", "srt"],
  ];
  if (a.refused) headers.push(["X-Srt-Refused", reason]);
  return { statusText, headers, body };
}

/**
 * After an answer to a client that may still be sending (a 431 to a 1 MB
 * request line, a 403 to a CONNECT with an eager ClientHello), the socket is
 * not destroyed at once: closing with unread input makes the kernel send a
 * RST, which can destroy the answer in the client's receive queue — and
 * through the sandbox's bridge, socat's failed write ends the connection
 * before it passes the answer on. So the rest of the input is read and thrown
 * away until the client closes, for at most this long (Apache's and nginx's
 * "lingering close").
 */
export const lingerMs = 2000;

/** For sockets no longer owned by the HTTP server (CONNECT, parse errors): write and close. */
export function answerRaw(socket: net.Socket, a: Answer): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const { statusText, headers, body } = answerParts(a);
  const head = `HTTP/1.1 ${a.status} ${statusText}\r\n${headers.map(([k, v]) => `${k}: ${v}\r\n`).join("")}Connection: close\r\n\r\n`;
  socket.end(head + body);
  linger(socket);
}

function linger(socket: net.Socket): void {
  socket.on("data", () => undefined);
  socket.resume();
  socket.once("end", () => socket.destroy());
  socket.once("finish", () => {
    if (socket.readableEnded) return void socket.destroy();
    const timer = setTimeout(() => socket.destroy(), lingerMs);
    socket.once("close", () => clearTimeout(timer));
  });
}

/** For ordinary requests: the client connection stays usable unless `close` is set. */
export function answer(res: ServerResponse, a: Answer, close = false): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const { statusText, headers, body } = answerParts(a);
  if (close) headers.push(["Connection", "close"]);
  res.writeHead(a.status, statusText, headers.flat());
  res.end(body);
}
