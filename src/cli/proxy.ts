/**
 * `srt proxy`: srt's filtering HTTP and SOCKS5 proxies on their own, with no
 * sandbox — the only egress of a container or a Kubernetes pod, which the
 * platform (a network policy, an empty network namespace) keeps from going
 * around it. The same gate decides as in a sandboxed run: the policy's
 * allow/deny lists, then the resolved-address guard on every address.
 *
 * Output is for programs: stdout carries JSON lines only, first
 * `{"kind":"ready",…}` once every address listens (the readiness signal; a
 * supervisor waits for it instead of polling the port), then one line per
 * refusal (`{"kind":"network",…}`, the violations-file format). Human
 * messages go to stderr. The policy comes from settings, or from a compiled
 * plan (`--plan`, read as `srt exec` reads plans). `--ready-fd N` gets the
 * ready line too, then is closed (a supervisor waits for EOF there);
 * `--health ADDR` answers `GET /healthz` on a listener of its own: 200 while
 * serving, 503 from the first signal on. SIGTERM (or SIGINT) stops accepting, gives open
 * connections `--grace-ms` to finish, then closes the rest and exits 0; a
 * second signal closes at once.
 */
import { closeSync, fstatSync, writeSync, type Stats } from "node:fs";
import { resolve } from "node:path";
import { failureLine } from "../runtime/failure.js";
import { createLivePolicy } from "../runtime/proxy/live-policy.js";
import { authorizationFrom } from "../runtime/proxy/upstream.js";
import { createHttpProxy, createSocksProxy, type ListenAddress, type ListenTarget } from "../runtime/proxy/index.js";
import { appendViolation } from "../runtime/proxy/violations.js";
import type { NetworkViolation } from "../runtime/proxy/types.js";
import { openViolationsFile } from "../runtime/violations-file.js";
import { defineCommand } from "./args.js";
import { exitStatus, type CliIo } from "./io.js";
import { compileForCli } from "./policy-input.js";
import { loadPlan } from "./plan-file.js";
import { startHealth, type HealthEndpoint } from "./proxy-health.js";
import type { NetworkPolicy } from "../compiler/ir.js";

const defaultGraceMs = 10_000;

export type ParsedListen =
  { readonly ok: true; readonly target: ListenTarget } | { readonly ok: false; readonly message: string };

/**
 * `127.0.0.1:3128`, `[::1]:3128`, `0.0.0.0:3128`, `unix:/run/srt.sock` (or
 * just an absolute path), `fd:3` (a listening socket the caller inherited to
 * srt, as systemd socket activation does). A host is required: binding every
 * interface must be written out, never a default.
 */
export function parseListen(text: string): ParsedListen {
  if (text.startsWith("unix:") || text.startsWith("/")) {
    const path = text.startsWith("unix:") ? text.slice(5) : text;
    if (!path.startsWith("/")) return { ok: false, message: `${text}: a unix socket path must be absolute` };
    return { ok: true, target: { path } };
  }
  const fd = /^fd:(\d+)$/.exec(text);
  if (fd) {
    const n = Number(fd[1]);
    if (n < 3) return { ok: false, message: `${text}: descriptors 0–2 are stdin, stdout and stderr` };
    return { ok: true, target: { fd: n } };
  }
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|(\d{1,3}(?:\.\d{1,3}){3}|localhost)):(\d{1,5})$/.exec(text);
  if (!m) return { ok: false, message: `${text}: expected HOST:PORT (an IP address), [IPv6]:PORT, unix:/path or fd:N` };
  const port = Number(m[3]);
  if (port > 65535) return { ok: false, message: `${text}: port ${port} is not 0–65535` };
  const host = m[1] ?? (m[2] === "localhost" ? "127.0.0.1" : m[2]!);
  return { ok: true, target: { host, port } };
}

const shownAddress = (a: ListenAddress): string =>
  a.kind === "unix" ? `unix:${a.path}` : a.host.includes(":") ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;

export const proxyCommand = (io: CliIo) =>
  defineCommand({
    meta: {
      name: "proxy",
      description:
        "Run srt's filtering HTTP proxy (and SOCKS5 proxy) alone, without a sandbox: the egress of a container or pod",
    },
    args: {
      settings: {
        type: "string",
        valueHint: "F",
        description: "settings file (default: ~/.srt-settings.json, else the defaults: nothing allowed)",
      },
      plan: {
        type: "string",
        valueHint: "F",
        description: "serve the network policy of a compiled plan (srt compile --target linux -o F) instead",
      },
      "ready-fd": {
        type: "string",
        valueHint: "N",
        description: "once listening, write the ready line (the bound addresses) to descriptor N and close it",
      },
      health: {
        type: "string",
        valueHint: "ADDR",
        description: "answer GET /healthz at ADDR: 200 while serving, 503 while shutting down",
      },
      listen: {
        type: "string",
        valueHint: "ADDR",
        required: true,
        description: "the HTTP proxy's address: HOST:PORT, [IPv6]:PORT, unix:/path or fd:N",
      },
      socks: { type: "string", valueHint: "ADDR", description: "also a SOCKS5 proxy at ADDR (same forms)" },
      "control-fd": {
        type: "string",
        valueHint: "N",
        description: "read JSON settings lines from descriptor N; each replaces the network policy",
      },
      violations: { type: "string", valueHint: "F", description: "also append refusals to F, as JSON lines" },
      "grace-ms": {
        type: "string",
        valueHint: "MS",
        description: `on SIGTERM, how long open connections may take to finish (default ${defaultGraceMs})`,
      },
    },
    run: ({ args }) => runProxy(args, io),
  });

interface ProxyArgs {
  readonly settings?: string | undefined;
  readonly plan?: string | undefined;
  readonly "ready-fd"?: string | undefined;
  readonly health?: string | undefined;
  readonly listen: string;
  readonly socks?: string | undefined;
  readonly "control-fd"?: string | undefined;
  readonly violations?: string | undefined;
  readonly "grace-ms"?: string | undefined;
}

async function runProxy(args: ProxyArgs, io: CliIo): Promise<number> {
  const usage = (message: string): number => {
    io.err(`srt proxy: ${message}\n`);
    return exitStatus.usage;
  };
  const listen = parseListen(args.listen);
  if (!listen.ok) return usage(`--listen ${listen.message}`);
  const socks = args.socks === undefined ? undefined : parseListen(args.socks);
  if (socks !== undefined && !socks.ok) return usage(`--socks ${socks.message}`);
  let graceMs = defaultGraceMs;
  if (args["grace-ms"] !== undefined) {
    if (!/^\d{1,7}$/.test(args["grace-ms"])) return usage(`--grace-ms ${args["grace-ms"]}: expected milliseconds`);
    graceMs = Number(args["grace-ms"]);
  }
  let controlFd: number | undefined;
  if (args["control-fd"] !== undefined) {
    if (!/^\d+$/.test(args["control-fd"]) || Number(args["control-fd"]) < 3)
      return usage(`--control-fd ${args["control-fd"]}: expected a descriptor number, 3 or more`);
    controlFd = Number(args["control-fd"]);
  }

  const health = args.health === undefined ? undefined : parseListen(args.health);
  if (health !== undefined && !health.ok) return usage(`--health ${health.message}`);
  let readyFd: number | undefined;
  if (args["ready-fd"] !== undefined) {
    const n = Number(args["ready-fd"]);
    if (!/^\d+$/.test(args["ready-fd"]) || n < 3)
      return usage(`--ready-fd ${args["ready-fd"]}: expected a descriptor number, 3 or more`);
    let kind: Stats;
    try {
      kind = fstatSync(n);
    } catch (e) {
      return usage(`--ready-fd ${n}: not an open descriptor (${(e as NodeJS.ErrnoException).code ?? "?"})`);
    }
    if (!kind.isFIFO() && !kind.isSocket() && !kind.isFile())
      return usage(`--ready-fd ${n}: not a pipe, socket or file`);
    readyFd = n;
  }
  if (args.plan !== undefined && args.settings !== undefined)
    return usage("--plan and --settings both name a policy: give one");

  let network: NetworkPolicy;
  let shownPolicy: string;
  let settingsValue: unknown;
  if (args.plan !== undefined) {
    // Read as srt exec reads plans (plan-file.ts); no command of the plan runs here, so where it lies matters less.
    const loaded = loadPlan(resolve(io.cwd, args.plan));
    if (typeof loaded === "string") {
      io.err(`${failureLine({ code: "SRT503", message: `${args.plan}: ${loaded}` }, "srt proxy")}\n`);
      return exitStatus.usage;
    }
    network = loaded.network.policy;
    shownPolicy = `plan:${resolve(io.cwd, args.plan)}`;
  } else {
    const compiled = compileForCli({ settings: args.settings }, io, io.platform === "darwin" ? "macos" : "linux");
    if (compiled.policy === undefined) return exitStatus.usage;
    network = compiled.policy.network;
    shownPolicy = compiled.policy.source;
    settingsValue = compiled.settingsValue;
  }

  let violationsFd: number | undefined;
  if (args.violations !== undefined) {
    const opened = openViolationsFile(resolve(io.cwd, args.violations));
    if (!opened.ok)
      return (
        io.err(
          `${failureLine({ code: "SRT507", message: `--violations ${args.violations}: ${opened.message}` }, "srt proxy")}\n`,
        ),
        exitStatus.usage
      );
    violationsFd = opened.fd;
  }
  let control: import("./control-fd.js").ControlChannel | undefined;
  if (controlFd !== undefined) {
    const opened = (await import("./control-fd.js")).openControlFd(controlFd, io);
    if (!opened.ok) {
      if (violationsFd !== undefined) closeSync(violationsFd);
      return usage(`--control-fd ${controlFd}: ${opened.message}`);
    }
    control = opened.channel;
  }

  const live = createLivePolicy(network);
  control?.start(live, (lineNo) => io.err(`srt proxy: --control-fd ${controlFd}: line ${lineNo} applied\n`));
  const onViolation = (v: NetworkViolation): void => {
    io.out(`${JSON.stringify(v)}\n`);
    if (violationsFd !== undefined) {
      const error = appendViolation(violationsFd, v);
      if (error) io.err(`srt proxy: could not write ${args.violations}: ${error.message}\n`);
    }
  };
  const deps = {
    network: live.current,
    onViolation,
    upstreamAuthorization: authorizationFrom({ env: io.env, settings: settingsValue }),
  };
  const proxies = [createHttpProxy(deps), ...(socks === undefined ? [] : [createSocksProxy(deps)])];
  let healthEndpoint: HealthEndpoint | undefined;
  const closeAll = async (grace?: number): Promise<void> => {
    healthEndpoint?.draining();
    await Promise.all(proxies.map((p) => p.close(grace)));
    await healthEndpoint?.close();
    control?.close();
    if (violationsFd !== undefined) closeSync(violationsFd);
  };

  const addresses: string[] = [];
  const targets: [string, ListenTarget][] = [["--listen", listen.target]];
  if (socks !== undefined) targets.push(["--socks", socks.target]);
  for (const [i, [flag, target]] of targets.entries()) {
    try {
      addresses.push(shownAddress(await proxies[i]!.listen(target)));
    } catch (e) {
      await closeAll();
      io.err(
        `${failureLine({ code: "SRT535", message: `${flag} ${flag === "--listen" ? args.listen : args.socks}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` }, "srt proxy")}\n`,
      );
      return exitStatus.runtime;
    }
  }

  if (health !== undefined) {
    try {
      healthEndpoint = await startHealth(health.target);
    } catch (e) {
      await closeAll();
      io.err(
        `${failureLine({ code: "SRT535", message: `--health ${args.health}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` }, "srt proxy")}\n`,
      );
      return exitStatus.runtime;
    }
  }

  const stopped = new Promise<NodeJS.Signals>((resolveStop) => {
    let first: NodeJS.Signals | undefined;
    const undo = io.onSignals((signal) => {
      if (first !== undefined) {
        // A second signal: no more waiting for open connections.
        undo();
        void closeAll().then(() => resolveStop(first!));
        return;
      }
      first = signal;
      healthEndpoint?.draining();
      io.err(`srt proxy: ${signal}: no new connections; closing in at most ${graceMs} ms\n`);
      void closeAll(graceMs).then(() => {
        undo();
        resolveStop(signal);
      });
    });
  });
  const ready = `${JSON.stringify({
    kind: "ready",
    http: addresses[0],
    ...(addresses[1] === undefined ? {} : { socks: addresses[1] }),
    ...(healthEndpoint === undefined ? {} : { health: healthEndpoint.address }),
    policy: shownPolicy,
  })}\n`;
  io.out(ready);
  if (readyFd !== undefined) {
    try {
      writeSync(readyFd, ready);
    } catch (e) {
      io.err(`srt proxy: --ready-fd ${readyFd}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
    }
    closeSync(readyFd);
  }
  await stopped;
  return exitStatus.ok;
}
