/**
 * The network side of a Linux run, for every caller: srt's HTTP and SOCKS5
 * proxies on unix sockets in a private directory, deciding each request with
 * a live policy; what a run needs to reach them (the proxy environment, and
 * the bridges from 127.0.0.1:3128 and :1080 in the sandbox's network
 * namespace to those sockets); the refusals (a JSON-lines file, the one-line
 * summary, a listener); close().
 *
 * Who owns the proxies is what differs:
 * - the CLI starts them in the run directory for one run and stops them with
 *   it (ownNetwork);
 * - a library sandbox starts them once in its own directory, and every run
 *   attaches (createLinuxNetwork, attach());
 * - `srt exec --proxies DIR` attaches to a library sandbox's proxies in DIR,
 *   once it has seen them answer (joinNetwork).
 *
 * With `httpProxyPort`/`socksProxyPort` that side's socket relays to the
 * user's own proxy on the host's loopback instead of srt's proxy.
 *
 * No proxy secret: the proxies listen only on unix sockets inside a private
 * directory (mode 0700, hidden inside the sandbox), and 3128/1080 exist only in
 * the sandbox's own network namespace. Other users cannot reach them; the
 * user's own processes need no borrowing. A secret would only break clients
 * that cannot send proxy credentials (nc -X 5, the JVM).
 *
 * The OS parts come in as NetworkOs (network-os.ts has Node's, imported
 * lazily: a run without network access never loads the proxy code).
 */
import { join } from "node:path";
import type { IgnoreRule, NetworkPolicy } from "../../compiler/ir.js";
import { directLoopback, proxyEnvironment } from "../proxy/environment.js";
import type { AskCallback, FilterRequestCallback, NetworkViolation } from "../proxy/index.js";
import type { LivePolicy } from "../proxy/live-policy.js";
import type { TunnelRelay } from "../proxy/native-relay.js";
import type { UpstreamAuthorization } from "../proxy/upstream.js";
import type { MaskSet } from "../proxy/credentials/masks.js";
import type { TlsRun } from "../proxy/tls/setup.js";
import type { TlsTerminator } from "../proxy/tls/terminate.js";
import type { ChildProcess } from "node:child_process";
import type { OneHop } from "./bridge.js";
import type { RunDir } from "./run-dir.js";
import type { NetworkSession, StartNetwork } from "./run.js";

export const sandboxPorts = { http: 3128, socks: 1080 } as const;

export interface ProxySockets {
  readonly http: string;
  readonly socks: string;
}

/** Where a library sandbox's proxies listen in its directory, and where `srt exec --proxies DIR` looks. */
export const proxySocketsIn = (dir: string): ProxySockets => ({
  http: join(dir, "http.sock"),
  socks: join(dir, "socks.sock"),
});

export interface NetworkOs {
  readonly proxy: Pick<
    typeof import("../proxy/index.js"),
    "createHttpProxy" | "createSocksProxy" | "createViolationStore" | "reportLine" | "allowHintLine"
  >;
  /** Listens at path; every connection goes on to 127.0.0.1:port on the host. */
  relay(path: string, port: number): Promise<{ close(): Promise<void> }>;
  /** srt's native tunnel relay (native-relay.ts), or undefined when dist/native/srt-relay is not built. */
  nativeRelay?(onDeath: (why: string) => void): TunnelRelay | undefined;
  /** Resolves once something at path accepts and, given a greeting, answers it; else rejects with why, worded to follow "the proxies at PATH". */
  probe(path: string, greeting: Uint8Array | undefined, timeoutMs: number): Promise<void>;
  /** True for the refusing endpoint (network-refuser-os.ts): it opens no tunnel, so nothing copies one. */
  readonly refusesAll?: boolean;
}

const loadNodeOs = async (): Promise<NetworkOs> => (await import("./network-os.js")).nodeNetworkOs;
/** The proxies copy and parse for as long as the run lasts: V8's defaults again, after the CLI's lean start-up (../v8-tuning.ts). */
const loadNodeOsOptimized = async (): Promise<NetworkOs> => {
  (await import("../v8-tuning.js")).steadyState();
  return loadNodeOs();
};
/** Only the refusing endpoint (network-refuser-os.ts): for a run that may reach no host. */
const loadRefuserOs = async (): Promise<NetworkOs> => (await import("./network-refuser-os.js")).refuserNetworkOs;

/**
 * sockaddr_un.sun_path holds 108 bytes including the NUL (unix(7)). Node's
 * listen() on a longer path does not fail: libuv truncates it, so the socket
 * lands on a shorter path — outside the private directory, left behind on the
 * host — and socat's UNIX-CONNECT to the full path never reaches it.
 */
const maxSocketPath = 107;

/** A SOCKS5 greeting offering "no authentication": srt's SOCKS proxy answers it at once. */
const socksGreeting = Uint8Array.from([5, 1, 0]);

export interface LinuxNetworkDeps {
  readonly sockets: ProxySockets;
  readonly policy: LivePolicy;
  /** The policy's httpProxyPort/socksProxyPort: that socket relays to the user's own proxy there. */
  readonly userProxyPorts?: { readonly http?: number | undefined; readonly socks?: number | undefined };
  /** Every refusal is appended here (JSON lines). */
  readonly violationsFile?: string | undefined;
  /** Or to this descriptor, opened by the caller before the run (../violations-file.ts), which closes it. */
  readonly violationsFd?: number | undefined;
  /** Told every refusal as well (the library's violation feed). */
  readonly onViolation?: ((v: NetworkViolation) => void) | undefined;
  readonly ask?: AskCallback | undefined;
  /** A library's per-request hook (../proxy/request-filters.ts). */
  readonly filterRequest?: FilterRequestCallback | undefined;
  readonly askTimeoutMs?: number | undefined;
  /** Proxy-Authorization for the policy's parentProxy (found at run time, never in the plan). */
  readonly upstreamAuthorization?: UpstreamAuthorization | undefined;
  /** TLS termination for this run's HTTP proxy (../proxy/tls/setup.ts). */
  readonly tls?: TlsTerminator | undefined;
  /** Masked credentials, for plain-HTTP requests. */
  readonly masks?: MaskSet | undefined;
  readonly os: NetworkOs;
  /** Told how tunnels are copied (native relay or Node's fallback): `-d` shows it. */
  readonly log?: ((line: string) => void) | undefined;
  /** Told when the native relay died during the run (its tunnels closed); default: a process warning. */
  readonly onRelayDeath?: ((why: string) => void) | undefined;
}

export interface LinuxNetwork {
  readonly sockets: ProxySockets;
  /** What a run needs to reach the proxies, NO_PROXY from the policy in force now; its close() leaves the proxies running. */
  attach(): NetworkSession;
  /** `srt: blocked N network requests: …` after ignoreViolations, or undefined when none. */
  summaryLine(ignore: readonly IgnoreRule[], command: readonly string[]): string | undefined;
  /** Which setting would allow the hosts refused for not being listed, or undefined when none were. */
  allowHintLine(ignore: readonly IgnoreRule[], command: readonly string[]): string | undefined;
  /** Stops the proxies, then closes the violations file; the file's first write error, if any. */
  close(): Promise<Error | undefined>;
  /** The native relay for this process's own bridge, so that it takes its tunnels itself (one hop). */
  readonly oneHop?: OneHop | undefined;
}

export async function createLinuxNetwork(deps: LinuxNetworkDeps): Promise<LinuxNetwork> {
  const { sockets, os } = deps;
  for (const path of [sockets.http, sockets.socks]) {
    const bytes = Buffer.byteLength(path);
    if (bytes > maxSocketPath)
      throw new Error(
        `the proxy socket path ${path} is ${bytes} bytes, more than a unix socket allows (${maxSocketPath}); srt's state directory is too deep: set TMPDIR (or XDG_RUNTIME_DIR) to a shorter directory`,
      );
  }
  const store = os.proxy.createViolationStore(
    deps.violationsFd !== undefined
      ? { fd: deps.violationsFd }
      : deps.violationsFile !== undefined
        ? { file: deps.violationsFile }
        : {},
  );
  const listener = deps.onViolation;
  const relay = os.nativeRelay?.(deps.onRelayDeath ?? ((why) => process.emitWarning(why)));
  // The refusing endpoint (network-refuser-os.ts) has no tunnels to copy, and no relay to say so.
  if (os.refusesAll !== true)
    deps.log?.(
      relay === undefined
        ? "srt: tunnels are copied by Node: srt's native relay (dist/native/srt-relay) is not built; `srt doctor --fix` builds it"
        : "srt: tunnels are copied by srt's native relay",
    );
  const proxyDeps = {
    ...(relay === undefined ? {} : { relay }),
    network: deps.policy.current,
    onViolation: listener === undefined ? store.record : (v: NetworkViolation) => (store.record(v), listener(v)),
    ...(deps.ask === undefined ? {} : { ask: deps.ask }),
    ...(deps.filterRequest === undefined ? {} : { filterRequest: deps.filterRequest }),
    ...(deps.upstreamAuthorization === undefined ? {} : { upstreamAuthorization: deps.upstreamAuthorization }),
    ...(deps.askTimeoutMs === undefined ? {} : { limits: { askTimeoutMs: deps.askTimeoutMs } }),
    ...(deps.tls === undefined ? {} : { tls: deps.tls }),
    ...(deps.masks === undefined ? {} : { masks: deps.masks }),
  };
  const listening: { close(): Promise<unknown> }[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all([...listening.map((l) => l.close()), relay?.close()]);
  };
  const serve = async (
    path: string,
    userPort: number | undefined,
    make: typeof os.proxy.createHttpProxy,
  ): Promise<void> => {
    if (userPort !== undefined) {
      listening.push(await os.relay(path, userPort));
      return;
    }
    const proxy = make(proxyDeps);
    listening.push(proxy);
    await proxy.listen({ path });
  };
  try {
    await serve(sockets.http, deps.userProxyPorts?.http, os.proxy.createHttpProxy);
    await serve(sockets.socks, deps.userProxyPorts?.socks, os.proxy.createSocksProxy);
  } catch (e) {
    await stop();
    await store.close();
    throw e;
  }
  const oneHop: OneHop | undefined =
    relay === undefined
      ? undefined
      : {
          halfCloseTimeoutMs: relay.halfCloseTimeoutMs,
          attach: (bridge) => relay.bridge(bridge as unknown as ChildProcess),
        };
  return {
    sockets,
    oneHop,
    attach: () => reachProxies(sockets, deps.policy.current(), async () => undefined),
    summaryLine: (ignore, command) => os.proxy.reportLine(store, ignore, command),
    allowHintLine: (ignore, command) => os.proxy.allowHintLine(store, ignore, command),
    async close() {
      await stop();
      return store.close();
    },
  };
}

/**
 * The variables that point the command's tools at 127.0.0.1:3128 and :1080,
 * and the bridges from there to the proxies' sockets. NO_PROXY keeps the
 * sandbox's own loopback direct, except the names the policy allows (those
 * mean the host's loopback, which only the proxies reach).
 */
export function reachProxies(
  sockets: ProxySockets,
  policy: Pick<NetworkPolicy, "rules">,
  close: () => Promise<void>,
): NetworkSession {
  return {
    env: proxyEnvironment({
      httpPort: sandboxPorts.http,
      socksPort: sandboxPorts.socks,
      noProxy: directLoopback(policy),
    }),
    bridges: [
      { port: sandboxPorts.http, socket: sockets.http },
      { port: sandboxPorts.socks, socket: sockets.socks },
    ],
    close,
  };
}

/** TLS termination and masked credentials, loaded only for a policy that has them. */
async function tlsRun(
  policy: NetworkPolicy,
  run: RunDir,
  env: Readonly<Record<string, string | undefined>>,
): Promise<TlsRun | undefined> {
  if (policy.tlsTerminate === undefined && policy.masks === undefined) return undefined;
  const { setUpTlsRun } = await import("../proxy/tls/setup.js");
  const { nodeTlsRunFs } = await import("../proxy/tls/node-fs.js");
  return setUpTlsRun(policy, { env, runDir: run.path, tmp: run.slots.tmp, fs: nodeTlsRunFs });
}

/** How a CLI run gets its network: a StartNetwork for runLinux, and the summary at the end. */
export interface RunNetwork {
  readonly start: StartNetwork;
  /** Prints the summary of blocked requests (unless quiet), if this run counted them. */
  report(): void;
}

export interface OwnNetworkOptions {
  readonly policy: LivePolicy;
  /** The --violations file, opened by the caller before the run (see violations-file.ts): its descriptor and its name for messages. */
  readonly violations?: { readonly fd: number; readonly name: string } | undefined;
  readonly quiet: boolean;
  readonly err: (text: string) => void;
  /** The command, for ignoreViolations matching. */
  readonly command: readonly string[];
  readonly upstreamAuthorization?: UpstreamAuthorization | undefined;
  /** srt's environment: where masked variables are read from (credentials.envVars). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly os?: () => Promise<NetworkOs>;
  /**
   * The policy allows no host and cannot change during the run (no --control-fd): every request
   * is refused, so the refusing endpoint stands in for the proxies, unless the policy sends a side
   * to the user's own proxy (httpProxyPort, socksProxyPort) or terminates TLS.
   */
  readonly refuseOnly?: boolean;
  /** `-d`: what srt set up. */
  readonly log?: ((line: string) => void) | undefined;
}

/** srt's own proxies for one run, in its run directory; they stop when the run ends. */
export function ownNetwork(o: OwnNetworkOptions): RunNetwork {
  let summary: (() => string | undefined) | undefined;
  return {
    async start(plan, run) {
      // NO_PROXY from the policy in force when the run asks for its network, as a library run's attach().
      const now = o.policy.current();
      const sockets = { http: run.httpSocket, socks: run.socksSocket };
      const { httpProxyPort, socksProxyPort } = plan.network.policy;
      const refuser =
        o.refuseOnly === true &&
        httpProxyPort === undefined &&
        socksProxyPort === undefined &&
        plan.network.policy.tlsTerminate === undefined &&
        plan.network.policy.masks === undefined;
      const tls = await tlsRun(plan.network.policy, run, o.env ?? {});
      for (const w of tls?.warnings ?? []) o.err(w + "\n");
      const network = await createLinuxNetwork({
        tls: tls?.terminator,
        masks: tls?.masks,
        sockets,
        policy: o.policy,
        userProxyPorts: { http: httpProxyPort, socks: socksProxyPort },
        violationsFd: o.violations?.fd,
        upstreamAuthorization: o.upstreamAuthorization,
        os: await (o.os ?? (refuser ? loadRefuserOs : loadNodeOsOptimized))(),
        log: o.log,
        onRelayDeath: (why) => o.err(`srt: ${why}\n`),
      });
      summary = () =>
        [network.summaryLine(plan.ignoreViolations, o.command), network.allowHintLine(plan.ignoreViolations, o.command)]
          .filter((l) => l !== undefined)
          .join("\n") || undefined;
      const session = reachProxies(sockets, now, async () => {
        const error = await network.close();
        if (error) o.err(`srt: could not write ${o.violations?.name}: ${error.message}\n`);
      });
      // This run's bridge takes its tunnels itself (one hop); a library sandbox's proxies run in a
      // thread that no bridge can reach, and their tunnels go to srt-relay.
      const own = { ...session, oneHop: network.oneHop };
      return tls ? { ...own, env: { ...own.env, ...tls.env }, binds: tls.binds } : own;
    },
    report() {
      const line = summary?.();
      if (line !== undefined && !o.quiet) o.err(line + "\n");
    },
  };
}

/**
 * A library sandbox's proxies in dir, for `srt exec --proxies DIR`: its live
 * policy, ask callback and violation list apply, and it reports the refusals.
 *
 * Those proxies run in the embedder's event loop. If the embedder spawned us
 * synchronously (spawnSync, execSync), that loop is blocked until we exit and
 * every request would hang: so before the command starts, a SOCKS5 greeting
 * must be answered, or the run fails at once with the reason.
 */
export function joinNetwork(
  dir: string,
  o: { readonly timeoutMs?: number; readonly os?: () => Promise<NetworkOs> } = {},
): RunNetwork {
  const sockets = proxySocketsIn(dir);
  const timeoutMs = o.timeoutMs ?? 2000;
  return {
    async start(plan) {
      // Those proxies were started for another policy: they would neither terminate TLS nor inject.
      if (plan.network.policy.tlsTerminate !== undefined || plan.network.policy.masks !== undefined)
        throw new Error(
          "a plan with network.tlsTerminate or masked credentials runs with its own proxies, not with --proxies",
        );
      const os = await (o.os ?? loadNodeOs)();
      for (const [path, greeting] of [
        [sockets.http, undefined],
        [sockets.socks, socksGreeting],
      ] as const) {
        await os.probe(path, greeting, timeoutMs).catch((e: Error) => {
          throw new Error(
            `the sandbox's proxies at ${path} ${e.message}: the process that created the sandbox must be alive and its event loop free — run wrap()ped commands with an asynchronous spawn, never spawnSync/execSync`,
          );
        });
      }
      // The live policy is the owner's; here, NO_PROXY comes from the plan it wrote for wrap().
      return reachProxies(sockets, plan.network.policy, async () => undefined);
    },
    report: () => undefined,
  };
}
