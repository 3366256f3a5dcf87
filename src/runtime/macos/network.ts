/**
 * The network side of a macOS run. There is no network namespace on macOS:
 * the sandbox shares the host's loopback, and the profile allows outbound
 * TCP only to two localhost ports. Those are srt's HTTP and SOCKS5 proxies,
 * listening on 127.0.0.1 on ports the OS picks (port 0), so two runs never
 * collide and no fixed port can be squatted by another program before srt
 * binds it. Each proxy holds its port on ::1 as well (a Seatbelt "localhost"
 * is assumed to mean both loopbacks), retrying with a new port if another
 * program has that one on ::1. When the policy fixes `httpProxyPort`/`socksProxyPort`, that
 * port is the user's own proxy and srt starts none for it.
 *
 * The proxies run even when the policy allows no destination: the profile
 * always lets the sandbox reach the two proxy ports, and those must be ports
 * srt holds for the whole run — a port nobody holds could be taken by any
 * local service, which the sandbox would then reach. The proxies also make a
 * refused request a reported violation rather than a silent failure.
 *
 * No proxy secret, unlike what a shared port might suggest: every local
 * process outside the sandbox can already connect anywhere directly, so the
 * proxies (which only narrow that) lend nothing; and clients that cannot send
 * credentials (nc -X 5, the JVM) would break.
 */
import type { NetworkPolicy } from "../../compiler/ir.js";
import type { IgnoreRule } from "../../compiler/ir.js";
import type { NetworkProxy, ProxyNetworkPolicy } from "../proxy/index.js";
import type { MaskSet } from "../proxy/credentials/masks.js";
import type { TlsTerminator } from "../proxy/tls/terminate.js";
import type { ProxyModule } from "./deps.js";

const loopback = "127.0.0.1";

export interface MacosNetworkOptions {
  readonly network: NetworkPolicy;
  /** The live policy, read per request; default: the compiled one. */
  readonly live?: () => ProxyNetworkPolicy;
  /** Append every refusal to this JSON-lines file. */
  readonly violationsFile?: string | undefined;
  /** TLS termination for the HTTP proxy (../proxy/tls/setup.ts). */
  readonly tls?: TlsTerminator | undefined;
  /** Masked variables, for plain-HTTP requests. */
  readonly masks?: MaskSet | undefined;
}

export interface MacosNetwork {
  readonly ports: { readonly httpPort: number; readonly socksPort: number };
  /** Which ports are srt's own proxies (false: the policy's fixed port, the user's proxy). */
  readonly own: { readonly http: boolean; readonly socks: boolean };
  /** `srt: blocked N network requests: …` after ignoreViolations, or undefined. */
  summaryLine(ignore: readonly IgnoreRule[], command: readonly string[]): string | undefined;
  /** Stops the proxies and closes the violations file; the file's first write error, if any. */
  close(): Promise<Error | undefined>;
}

export async function startMacosNetwork(mod: ProxyModule, opts: MacosNetworkOptions): Promise<MacosNetwork> {
  const store = mod.createViolationStore(opts.violationsFile === undefined ? {} : { file: opts.violationsFile });
  const deps = {
    network: opts.live ?? opts.network,
    onViolation: store.record,
    ...(opts.tls === undefined ? {} : { tls: opts.tls }),
    ...(opts.masks === undefined ? {} : { masks: opts.masks }),
  };
  const started: NetworkProxy[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(started.map((p) => p.close()));
  };
  const listen = async (make: () => NetworkProxy): Promise<number> => {
    for (let attempt = 1; ; attempt++) {
      const proxy = make();
      started.push(proxy);
      const address = await proxy.listen({ host: loopback, port: 0 });
      if (address.kind !== "tcp" || !Number.isInteger(address.port) || address.port <= 0)
        throw new Error(`proxy did not report a TCP port (${JSON.stringify(address)})`);
      // The profile's "localhost:PORT" is taken to cover ::1 as well (not checked on a Mac): hold
      // ::1:PORT too, so no other program can sit there for the sandbox to reach.
      const v6 = await proxy.listen({ host: "::1", port: address.port }).then(
        () => "held" as const,
        (e: NodeJS.ErrnoException) =>
          e.code === "EADDRNOTAVAIL" || e.code === "EAFNOSUPPORT" ? ("no ipv6" as const) : e,
      );
      if (typeof v6 === "string") return address.port;
      started.pop();
      await proxy.close();
      if (attempt === 5) throw new Error(`cannot hold loopback port ${address.port} on ::1 as well: ${v6.message}`);
    }
  };
  try {
    const fixed = { http: opts.network.httpProxyPort, socks: opts.network.socksProxyPort };
    const httpPort = fixed.http ?? (await listen(() => mod.createHttpProxy(deps)));
    const socksPort = fixed.socks ?? (await listen(() => mod.createSocksProxy(deps)));
    return {
      ports: { httpPort, socksPort },
      own: { http: fixed.http === undefined, socks: fixed.socks === undefined },
      summaryLine: (ignore, command) => mod.reportLine(store, ignore, command),
      async close() {
        await stop();
        return store.close();
      },
    };
  } catch (e) {
    await stop();
    await store.close();
    throw e;
  }
}
