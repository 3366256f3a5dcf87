// Shared by the proxy tests: policies built from settings-style entries,
// loopback-only servers, a fake resolver, raw clients, and leak checks.
import { execFile } from "node:child_process";
import { readdirSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { parseCidr, parseHostPattern } from "../../src/compiler/domains/index.js";
import type { AddressRule, NetRule, Origin } from "../../src/compiler/ir.js";
import type { NetworkViolation, ProxyDeps, Resolver } from "../../src/runtime/proxy/index.js";

export const allow = (source: string, i = 0): NetRule => rule("allow", source, `/network/allowedDomains/${i}`);
export const deny = (source: string, i = 0): NetRule => rule("deny", source, `/network/deniedDomains/${i}`);
function rule(effect: "allow" | "deny", source: string, origin: Origin): NetRule {
  const p = parseHostPattern(source, effect);
  if (!p.ok) throw new Error(`${source}: ${p.message}`);
  return { kind: "net", effect, host: p.host, ...(p.port === undefined ? {} : { port: p.port }), source, origin };
}
/** The fake resolver maps test names to 127.0.0.1; the address guard refuses that unless it is allowed. */
export const loopback = rule("allow", "127.0.0.1", "/network/allowedDomains/99");
export const deniedAddress = (text: string, i = 0): AddressRule => {
  const r = parseCidr(text);
  if (!r.ok) throw new Error(r.message);
  return { kind: "address", cidr: r.cidr, family: r.family, origin: `/network/deniedResolvedAddresses/${i}` };
};

/** Names → loopback only; anything else is "not found" (the system resolver is never asked). */
export const fakeResolver =
  (table: Readonly<Record<string, readonly string[]>>): Resolver =>
  async (name) => {
    const a = table[name];
    if (a === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: "ENOTFOUND" });
    return a;
  };

export interface Setup {
  readonly deps: ProxyDeps;
  readonly violations: NetworkViolation[];
}

export function setup(
  rules: readonly NetRule[],
  extra: Partial<ProxyDeps> = {},
  resolve: Resolver = fakeResolver({
    "allowed.test": ["127.0.0.1"],
    "other.test": ["127.0.0.1"],
    "evil.srt.test": ["127.0.0.1"],
    "good.srt.test": ["127.0.0.1"],
    "v6.test": ["::1"],
  }),
): Setup {
  const violations: NetworkViolation[] = [];
  return {
    violations,
    deps: {
      network: { rules, deniedResolvedAddresses: [] },
      onViolation: (v) => violations.push(v),
      resolve,
      ...extra,
    },
  };
}

export const fdCount = (): number => readdirSync("/proc/self/fd").length;

/**
 * How long a test waits for something that should happen before calling it
 * missing. It is a ceiling for failures, never a schedule: passing tests go on
 * as soon as the awaited event arrives, so a loaded machine makes them slower,
 * not red. Below vitest's 30 s test timeout, so the failure says what was missing.
 */
export const giveUpMs = 20_000;

/** Polls until `check` holds or `ms` passes; returns whether it held. */
export async function eventually(check: () => boolean, ms = giveUpMs): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
}

export interface Server {
  readonly port: number;
  close(): Promise<void>;
}

async function serve(server: net.Server, host = "127.0.0.1"): Promise<Server> {
  const sockets = new Set<net.Socket>();
  server.on("connection", (s: net.Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** Echoes bytes back; on IPv6 too when host is "::1". */
export const echoServer = (host = "127.0.0.1"): Promise<Server> =>
  serve(
    net.createServer({ allowHalfOpen: true }, (s) => s.pipe(s)),
    host,
  );

/** Answers with method, url, headers and the request body echoed back, for checking what the proxy forwarded. */
export const httpServer = (): Promise<Server> =>
  serve(
    http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        if (req.url === "/big") {
          res.writeHead(200, { "Content-Length": String(4 << 20) });
          res.end(Buffer.alloc(4 << 20, 0x61));
          return;
        }
        const body = Buffer.concat(chunks);
        res.writeHead(201, "Made", {
          "X-Method": req.method ?? "",
          "X-Url": req.url ?? "",
          "X-Headers": JSON.stringify(req.rawHeaders),
          Connection: "keep-alive",
          "Keep-Alive": "timeout=5",
        });
        res.end(Buffer.concat([Buffer.from("got:"), body]));
      });
    }),
  );

/** A port that refuses connections (bound once, then closed). */
export async function closedPort(): Promise<number> {
  const s = await serve(net.createServer());
  await s.close();
  return s.port;
}

export interface ExchangeOptions {
  /** Half-close after writing: a client that sends its request and then waits for the answer. */
  readonly end?: boolean;
  /** Done as soon as this holds for what arrived so far: for a tunnel the proxy rightly keeps open. */
  readonly until?: (received: string) => boolean;
}

/**
 * Connects, writes, and collects everything until the peer closes (or `until`
 * holds). A peer that does neither within `giveUpMs` rejects the promise: the
 * answer is awaited as an event, never sampled after a fixed delay.
 */
export function exchange(port: number | string, data: Buffer | string, options: ExchangeOptions = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = typeof port === "number" ? net.connect(port, "127.0.0.1") : net.connect(port);
    const chunks: Buffer[] = [];
    const received = (): Buffer => Buffer.concat(chunks);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new Error(
          `no ${options.until ? "expected answer" : "close"} within ${giveUpMs} ms; received ${JSON.stringify(received().toString("latin1").slice(0, 200))}`,
        ),
      );
    }, giveUpMs);
    socket.on("data", (c: Buffer) => {
      chunks.push(c);
      if (options.until?.(received().toString("latin1"))) {
        clearTimeout(timer);
        socket.destroy();
        resolve(received());
      }
    });
    socket.on("error", () => undefined);
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(received());
    });
    socket.write(data);
    if (options.end) socket.end();
  });
}

export function run(
  cmd: string,
  args: readonly string[],
  opts: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      cmd,
      args,
      {
        env: opts.env ?? { PATH: process.env.PATH ?? "/usr/bin:/bin" },
        timeout: opts.timeoutMs ?? 10_000,
        encoding: "utf8",
      },
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === "number" ? err.code : null) : 0, stdout, stderr });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}

export const basic = (user: string, pass: string): string =>
  `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}`;
