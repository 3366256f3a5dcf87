/**
 * Proxy ingress without an AF_UNIX socket inside the sandbox (DESIGN §3, way 1).
 *
 * srt's own bridge, native/srt-bridge (its threat model is at its top): one
 * process per run enters the sandbox's network (and, unprivileged, user)
 * namespace itself, listens on every port, drops every privilege (no
 * capabilities, no_new_privs, non-dumpable, killed with srt) and says "ready"
 * on fd 3. When it is not built, srt falls back to socat, and says so (`-d`,
 * `srt doctor`):
 * a socat started *outside* the seccomp filter but *inside* the sandbox's
 * network namespace (nsenter) listens on 127.0.0.1:PORT there and forwards
 * each connection to the host proxy's unix socket. The command is held on
 * bwrap's --block-fd until every bridge listens, so its first request cannot
 * race the bridge.
 *
 * Each bridge runs under `setpriv --pdeathsig KILL`: if srt dies, so does the
 * bridge (its forked per-connection children end with their connections).
 */
import type { LinuxDeps, SpawnedChild } from "./deps.js";

/**
 * srt's native relay, when the bridge may take the run's tunnels itself (one hop; "One hop" in
 * native/srt-bridge/bridge.c, and proxy/native-relay.ts): the bridge is started with `relay=MS`
 * and an IPC pipe on fd 4, and attached once it is ready.
 */
export interface OneHop {
  readonly halfCloseTimeoutMs: number;
  /** Hands the bridge to the relay; returns the detach. */
  attach(bridge: SpawnedChild): () => void;
}

/**
 * socat's defaults are made for one interactive connection, not a sandbox's
 * egress. Its listen backlog of 5 overflows as soon as a build opens a few
 * hundred connections at once (the kernel drops SYNs; clients stall for
 * seconds or time out), so the bridge asks for the kernel's usual maximum
 * (net.core.somaxconn caps it). Its 8 KiB copy buffer costs a system call per
 * 8 KiB on bulk transfers. And its 0.5 s half-close timeout ends a connection
 * half a second after one side's FIN, cutting off an answer the other side is
 * still preparing (`printf req | nc -N`): the proxy behind the bridge already
 * has its own rule for half-closed tunnels (idle for halfCloseTimeoutMs, see
 * proxy/splice.ts) and closes its side, which ends the bridge's connection, so
 * socat's own timer is set out of the way (a day).
 */
export const bridgeBacklog = 4096;
export const socatTuning: readonly string[] = ["-b65536", "-t86400"];

export interface BridgeSpec {
  readonly port: number;
  readonly socket: string;
}

export interface Bridges {
  close(): void;
}

/** The socat fallback: `setpriv --pdeathsig KILL nsenter … socat …`, one chain per port. */
export interface SocatBridgeTools {
  readonly setpriv: string;
  readonly nsenter: string;
  readonly socat: string;
}

/** srt's own bridge (native/srt-bridge): one process for every port of the run. */
export interface NativeBridgeTools {
  readonly native: string;
}

export type BridgeTools = NativeBridgeTools | SocatBridgeTools;

/** How a run bridges, as `-d` and `srt doctor` say it. */
export const bridgeKind = (tools: BridgeTools): string =>
  "native" in tools ? `srt-bridge (${tools.native})` : "socat (srt-bridge is not built)";

export async function startBridges(
  os: Pick<LinuxDeps, "spawn" | "fs" | "clock" | "pid">,
  pid: number,
  specs: readonly BridgeSpec[],
  tools: BridgeTools,
  enterUserNs: boolean,
  timeoutMs = 5000,
  oneHop?: OneHop,
  childOf?: number,
): Promise<Bridges> {
  return "native" in tools
    ? startNativeBridge(os, pid, specs, tools.native, enterUserNs, timeoutMs, oneHop, childOf)
    : startSocatBridges(os, pid, specs, tools, enterUserNs, timeoutMs);
}

/**
 * srt-bridge enters the namespaces itself, drops every privilege (see its
 * threat model) and writes "ready" on fd 3 once every port listens: no polling.
 * `childOf`: bwrap's pid, when pid is bwrap's child; the bridge then enters
 * pid's namespaces only if pid still names that child ("SANDBOX_PID" in
 * native/srt-bridge/bridge.c): a pid whose process ended may name another.
 */
async function startNativeBridge(
  os: Pick<LinuxDeps, "spawn" | "clock" | "pid">,
  pid: number,
  specs: readonly BridgeSpec[],
  path: string,
  enterUserNs: boolean,
  timeoutMs: number,
  oneHop: OneHop | undefined,
  childOf: number | undefined,
): Promise<Bridges> {
  const child = os.spawn(
    path,
    [
      String(os.pid),
      String(pid),
      enterUserNs ? "1" : "0",
      ...(oneHop === undefined ? [] : [`relay=${oneHop.halfCloseTimeoutMs}`]),
      ...(childOf === undefined ? [] : [`child-of=${childOf}`]),
      ...specs.map((s) => `${s.port}=${s.socket}`),
    ],
    // With one hop: stdout carries its tunnels' reports, fd 4 is the relay's IPC pipe.
    { stdio: oneHop === undefined ? ["ignore", "ignore", "pipe", "pipe"] : ["ignore", "pipe", "pipe", "pipe", "ipc"] },
  );
  const close = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  };
  let stderr = "";
  child.stderr
    ?.setEncoding("utf8")
    .on("data", (d: string) => (stderr += d).length > 4096 && (stderr = stderr.slice(-4096)));
  const ready = child.stdio[3] as NodeJS.ReadableStream | null | undefined;
  const outcome = await new Promise<string | undefined>((resolve) => {
    let said = "";
    const cancel = os.clock.after(timeoutMs, () => resolve(`proxy bridge did not listen within ${timeoutMs} ms`));
    const done = (why: string | undefined): void => {
      cancel();
      resolve(why);
    };
    child.on("error", (e) => done(`${path}: ${e.message}`));
    // "close", not "exit": stderr has arrived by then, so the reason is complete.
    child.on("close", (code: number | null, signal: NodeJS.Signals | null) =>
      done(`proxy bridge exited (${signal ?? code}): ${stderr.trim()}`),
    );
    if (!ready) return done(`${path}: no readiness pipe`);
    ready.setEncoding("utf8");
    ready.on("data", (d: string) => {
      said += d;
      if (said === "ready\n") done(undefined);
    });
  });
  if (outcome !== undefined) {
    close();
    throw new Error(outcome);
  }
  const detach = oneHop?.attach(child);
  return {
    close: () => {
      detach?.();
      close();
    },
  };
}

async function startSocatBridges(
  os: Pick<LinuxDeps, "spawn" | "fs" | "clock">,
  pid: number,
  specs: readonly BridgeSpec[],
  tools: SocatBridgeTools,
  enterUserNs: boolean,
  timeoutMs: number,
): Promise<Bridges> {
  const children: SpawnedChild[] = [];
  const close = (): void => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  };
  let failure: string | undefined;
  for (const { port, socket } of specs) {
    const ns = ["--target", String(pid), "--net", ...(enterUserNs ? ["--user", "--preserve-credentials"] : [])];
    // socat address syntax: ':' and ',' in the path would be parsed; a run dir path (a hex id in the state directory) has neither unless TMPDIR does — checked below.
    if (/[:,!\\'"\s]/.test(socket)) throw new Error(`proxy socket path unsuitable for socat: ${socket}`);
    const child = os.spawn(
      tools.setpriv,
      [
        "--pdeathsig",
        "KILL",
        "--",
        tools.nsenter,
        ...ns,
        "--",
        tools.socat,
        ...socatTuning,
        `TCP-LISTEN:${port},bind=127.0.0.1,fork,reuseaddr,backlog=${bridgeBacklog}`,
        `UNIX-CONNECT:${socket}`,
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    child.stderr
      ?.setEncoding("utf8")
      .on("data", (d: string) => (stderr += d).length > 4096 && (stderr = stderr.slice(-4096)));
    child.on("error", (e) => (failure ??= `${tools.setpriv}: ${e.message}`));
    child.on(
      "exit",
      (code, signal) => (failure ??= `bridge for port ${port} exited (${signal ?? code}): ${stderr.trim()}`),
    );
    children.push(child);
  }
  const deadline = os.clock.now() + timeoutMs;
  for (;;) {
    if (failure !== undefined) {
      close();
      throw new Error(failure);
    }
    const listening = listeningPorts(os.fs, pid);
    if (specs.every((s) => listening.has(s.port))) return { close };
    if (os.clock.now() > deadline) {
      close();
      throw new Error(`proxy bridge did not listen within ${timeoutMs} ms`);
    }
    await os.clock.delay(1);
  }
}

/** Loopback TCP ports in LISTEN state in pid's network namespace (/proc/PID/net/tcp, state 0A). */
function listeningPorts(fs: Pick<LinuxDeps["fs"], "readFile">, pid: number): Set<number> {
  const ports = new Set<number>();
  let text: string;
  try {
    text = fs.readFile(`/proc/${pid}/net/tcp`);
  } catch {
    return ports;
  }
  for (const line of text.split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[3] === "0A" && f[1]?.startsWith("0100007F:")) ports.add(parseInt(f[1].slice(9), 16));
  }
  return ports;
}
