/**
 * Runs a command under an OCI plan with Docker, through its CLI (located in
 * the system directories, never PATH): the same phases as the runc runner
 * (./run.ts) — prepare, network, watch, launch, wait, cleanup — and the same
 * mounts and seccomp rules (src/backends/oci/docker-args.ts says how they
 * become `docker run` arguments). The command's container runs srt's
 * supervisor first, as runc's does: it connects to a socket srt listens on
 * (./supervisor-socket.ts) for its configuration, installs srt's seccomp
 * program with its listener, runs the command and reports what it refused; a
 * run whose supervisor never said "ready" is SRT511 and ran nothing. Docker's
 * own profile is never the command's: the holder gets srt's profile as a
 * file (Docker 20.10's default allows AF_UNIX, io_uring and TIOCSTI).
 *
 * TLS termination and masked credentials as under runc: the CA certificate
 * and trust bundle (in the run's temp directory, bound read-only over
 * themselves; the key never leaves srt), the trust variables and the
 * sentinels in the environment, the masked copies of credential files bound
 * read-only over the denied originals.
 *
 * Network: Docker cannot join a network namespace by path. When the policy
 * needs srt's proxies, a *holder* container is started first with
 * `--network none` (only `lo`), srt's bridges are entered into its namespace
 * (../linux/bridge.ts, as for bwrap and runc), and the command's container
 * joins it with `--network container:HOLDER`. So the only way out is srt's
 * proxies. No Docker network is ever created. podman (`--runtime podman`)
 * runs the same way, except as root: there srt makes the namespace itself
 * and podman joins it by path (`--network ns:PATH`, ./netns-holder.ts), one
 * container fewer. Rootless, podman's `--network container:` works as
 * Docker's.
 *
 * Lifetime: killing the `docker run` client does not stop its container. Both
 * containers run with `--rm` (the daemon removes them when they end) and
 * their first processes — visible on the host, each leading its own process
 * group — are handed to the watchdog: if srt is SIGKILLed, it kills them, and
 * the daemon removes what is left. A normal end removes them with `rm -f`.
 *
 * The client runs with an empty DOCKER_CONFIG (srt's, in the run directory):
 * ~/.docker names credential helpers and CLI plugins the client would run.
 */
import { constants } from "node:os";
import type { OciPlan } from "../../backends/oci/index.js";
import { instantiateOci } from "../../backends/oci/index.js";
import {
  bindArg,
  confinementArgs,
  dockerLimits,
  dockerRunArgs,
  type DockerLimits,
  type DockerNetwork,
  type DockerVolume,
} from "../../backends/oci/docker-args.js";
import { cleanUpRun, type Held } from "../linux/cleanup.js";
import type { LinuxDeps, SpawnedChild, StdioSlot } from "../linux/deps.js";
import { ipcChannelFds } from "../linux/inherited-fds.js";
import { commandEnv } from "../linux/launch.js";
import { nodeLinuxDeps } from "../linux/node-deps.js";
import { prepareRun } from "../linux/prepare.js";
import {
  startRunLimits,
  startRunNetwork,
  watchProtections,
  type RunRequest,
  type RunResult,
  type RunningSandbox,
} from "../linux/run.js";
import type { RunDir } from "../linux/run-dir.js";
import { createSandboxSignals, type SandboxSignals } from "../linux/signals.js";
import { startBridges, type BridgeTools } from "../linux/bridge.js";
import { failed, failureOf, RuntimeFailure } from "../failure.js";
import { supervisorConfig, type SupervisorReport } from "../linux/supervisor.js";
import { linkedRootFailure } from "../linux/root-identity.js";
import { supervisedResult } from "../linux/wait.js";
import { tlsTrustVariables } from "../proxy/tls/trust-env.js";
import { isWithin } from "../../compiler/paths.js";
import { reachesNetwork } from "../../backends/bwrap/plan.js";
import { listenForSupervisor } from "./supervisor-socket.js";
import { startNetnsHolder, type NetnsTools } from "./netns-holder.js";
import { writeBundle, type BundleFs } from "./bundle.js";
import { engineStores, mountPoints, submountsOf } from "./mountinfo.js";
import { skeletonImageTag, skeletonTar } from "./skeleton-tar.js";

export interface DockerTools {
  readonly engine: "docker" | "podman";
  /** The engine's client (docker or podman). */
  readonly docker: string;
  /** The watchdog's shell. */
  readonly sh: string;
  /** The holder container's only process. */
  readonly sleep: string;
  /** srt's supervisor (native/srt-supervise, static): the command's container's first process. */
  readonly supervisor: string;
  /** podman as root: srt makes the container's network namespace itself (./netns-holder.ts). */
  readonly netns?: Pick<NetnsTools, "unshare" | "ip">;
  readonly bridge?: BridgeTools;
}

/** What the `docker` settings key and the --docker-* options ask for (src/cli/docker-options.ts). */
export interface DockerChoices {
  /** The user's image: its root replaces the host's. Absent: srt's skeleton image, the host's directories bound. */
  readonly image?: string;
  readonly name?: string;
  readonly workdir?: string;
  readonly user?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly volumes?: readonly DockerVolume[];
  /** "host": no network filtering (confirmed by the caller). */
  readonly networkMode: "none" | "host";
  readonly autoRemove: boolean;
}

export interface DockerRunRequest extends Omit<RunRequest, "plan" | "tools" | "onSpawn"> {
  readonly plan: OciPlan;
  readonly tools: DockerTools;
  readonly docker: DockerChoices;
}

interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly error?: Error;
}

export function runDocker(req: DockerRunRequest, os: LinuxDeps = nodeLinuxDeps(), bundleFs?: BundleFs): RunningSandbox {
  const t0 = os.clock.now();
  const log = (what: string): void => req.log?.(`srt: ${(os.clock.now() - t0).toFixed(1)} ms ${what}`);
  const signals = createSandboxSignals(os, req.killGraceMs ?? 10_000);
  const result = (async (): Promise<RunResult> => {
    const held: Held = {};
    const containers: string[] = [];
    const stops: (() => void)[] = [];
    let client: DockerClient | undefined;
    try {
      const run = prepareRun(
        os,
        {
          plan: req.plan,
          stateDir: req.stateDir,
          uid: req.uid,
          shell: req.tools.sh,
          cleanupCommand: req.cleanupCommand,
        },
        held,
        log,
      );
      // Decided as for every engine (SRT550 unless bestEffort); the engine's flags apply what holds.
      held.limits = startRunLimits(os, req, run.id, held, log, { runtime: req.tools.engine, rootless: req.uid !== 0 });
      const limits = dockerLimits(held.limits?.applied ?? { resources: {}, rlimits: [] });
      client = dockerClient(os, req, run);
      const proxied =
        req.plan.network.proxies && req.docker.networkMode === "none" && (await bridgeable(req, client, log));
      held.network = proxied ? await startRunNetwork(req, run, log) : undefined;
      held.guard = watchProtections(os, req.plan, signals, log);
      const broke = held.guard.failure();
      if (broke) return broke;
      const end = await launch(
        os,
        bundleFs ?? (await nodeBundleFs()),
        req,
        run,
        held,
        signals,
        client,
        containers,
        stops,
        log,
        limits,
      );
      log(`docker start exited (${end.exit.signal ?? end.exit.code})`);
      const broken = held.guard.failure();
      if (broken) return broken;
      if (end.exit.error) return failed("SRT560", `cannot start ${req.tools.docker}: ${end.exit.error.message}`);
      const status = (): number => {
        const { code, signal } = end.exit;
        return code ?? (signal ? 128 + (constants.signals[signal] ?? 15) : 1);
      };
      // srt's supervisor never reached srt: the engine did not start the container, or could not run
      // the supervisor in it (docker start then exits 1 or 127, not only 125). Nothing ran; the engine's
      // own error is above. SRT511 ("which kernel feature is missing") would send the user to the wrong place.
      if (!end.supervised)
        return failed(
          "SRT561",
          `${req.tools.docker} did not start the container's first process, srt's supervisor (status ${end.exit.code ?? end.exit.signal}); its error is above`,
        );
      // The supervisor ran and refused to go on (it says why): SRT511, as under bwrap and runc.
      const code = status();
      const result = await supervisedResult(os, end.supervisor, code, {
        supervisor: req.plan.supervisor,
        tmp: run.slots.tmp,
      });
      if (result.kind !== "exited") return result;
      const hit = held.limits?.violations(code) ?? [];
      return hit.length > 0 ? { ...result, limits: hit } : result;
    } catch (e) {
      signals.killAll();
      return held.guard?.failure() ?? failureOf(e, "SRT561");
    } finally {
      // One at a time, the command's first: podman refuses to remove a holder another container still uses.
      for (const c of client === undefined ? [] : containers) {
        // podman's rm --force stops with SIGTERM first and waits 10 s; the holder's sleep ignores it.
        const now = req.tools.engine === "podman" ? ["--time", "0"] : [];
        const removed = await client!.run(["rm", "--force", ...now, c]);
        log(removed.status === 0 ? `removed ${c}` : `could not remove ${c}: ${removed.err.trim()}`);
      }
      for (const stop of stops) stop();
      await cleanUpRun(os, held, signals, { step: log, problem: (line) => req.log?.(line) });
    }
  })();
  return { forward: signals.forward, result };
}

/**
 * podman as root on this kind of host (CONTAINERS.md): crun fails on hybrid cgroups, there is no
 * systemd to manage cgroups or log events. Rootless podman takes its defaults.
 */
const engineGlobalArgs = (req: DockerRunRequest): string[] =>
  req.tools.engine === "podman" && req.uid === 0
    ? ["--runtime", "runc", "--cgroup-manager", "cgroupfs", "--events-backend", "file"]
    : [];

interface DockerClient {
  readonly env: Readonly<Record<string, string>>;
  /** Arguments before the subcommand (podman's runtime choices). */
  readonly global: readonly string[];
  /** Runs the client to its end: status and stdout. */
  run(
    args: readonly string[],
    stdin?: Buffer,
    extraEnv?: Readonly<Record<string, string>>,
  ): Promise<{ status: number | null; out: string; err: string }>;
}

/** The client's environment: the engine's address, srt's empty config directory, nothing else of the caller's. */
function dockerClient(os: LinuxDeps, req: DockerRunRequest, run: RunDir): DockerClient {
  const config = `${run.path}/docker-config`;
  os.fs.mkdir(config, 0o700);
  // podman reads it as its auth file too, and refuses a DOCKER_CONFIG without one.
  os.fs.writeFile(`${config}/config.json`, "{}", 0o600);
  const env: Record<string, string> = { DOCKER_CONFIG: config };
  for (const k of [
    "DOCKER_HOST",
    "DOCKER_API_VERSION",
    "DOCKER_CERT_PATH",
    "DOCKER_TLS_VERIFY",
    "CONTAINERS_CONF",
    "CONTAINERS_STORAGE_CONF",
    "XDG_RUNTIME_DIR",
  ]) {
    const v = req.env[k];
    if (v !== undefined) env[k] = v;
  }
  const global = engineGlobalArgs(req);
  return {
    env,
    global,
    run: (args, stdin, extraEnv) =>
      new Promise((resolve) => {
        const child = os.spawn(req.tools.docker, [...global, ...args], {
          stdio: [stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
          env: { ...extraEnv, ...env },
          cwd: "/",
        });
        let out = "";
        let err = "";
        child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
        child.stderr?.on("data", (d: Buffer) => (err += d.toString()));
        child.stdin?.on("error", () => undefined);
        child.stdin?.end(stdin);
        child.once("error", (e) => resolve({ status: null, out, err: e.message }));
        child.once("exit", (status) => resolve({ status, out, err }));
      }),
  };
}

async function launch(
  os: LinuxDeps,
  fs: BundleFs,
  req: DockerRunRequest,
  run: RunDir,
  held: Held,
  signals: SandboxSignals,
  client: DockerClient,
  containers: string[],
  stops: (() => void)[],
  log: (what: string) => void,
  limits: DockerLimits,
): Promise<{ exit: Exit; supervised: boolean; supervisor: Promise<SupervisorReport> }> {
  const bundle = `${run.path}/bundle`;
  const exists = (p: string): boolean => {
    try {
      os.fs.lstat(p);
      return true;
    } catch {
      return false;
    }
  };
  const concrete = instantiateOci(req.plan.oci, {
    command: req.command,
    env: {},
    slots: run.slots,
    bundle,
    uid: req.uid,
    gid: req.gid,
    exists,
  });
  try {
    // The skeletons of the read masks (the root's is the image below); config.json is not read.
    writeBundle(fs, bundle, concrete);
  } catch (e) {
    throw new RuntimeFailure("SRT546", `${bundle}: ${(e as Error).message}`);
  }
  // The holder's profile (the command's filter is the supervisor's).
  const seccompFile = `${run.path}/seccomp.json`;
  os.fs.writeFile(seccompFile, JSON.stringify((concrete.config["linux"] as { seccomp: unknown }).seccomp), 0o600);
  const image = await skeletonImage(client, concrete.skeletons[0]!, log);
  if (req.docker.image !== undefined) {
    const found = await client.run(["image", "inspect", "--format", "{{.Id}}", req.docker.image]);
    if (found.status !== 0)
      throw new RuntimeFailure(
        "SRT562",
        `image ${req.docker.image} is not on this Docker engine (srt never pulls; load or import it first): ${found.err.trim()}`,
      );
  }
  const user = req.docker.user ?? `${req.uid}:${req.gid}`;
  const label = `srt.run=${run.id}`;

  // The holder: a network namespace with only `lo`, where srt's bridges listen.
  let network: DockerNetwork = {
    kind: req.docker.networkMode,
  };
  if (held.network !== undefined && req.tools.netns !== undefined) {
    if (req.tools.bridge === undefined)
      throw new RuntimeFailure(
        "SRT500",
        "the proxy bridge (srt-bridge, or setpriv, nsenter and socat) was not looked up for this run",
      );
    // podman as root: a namespace srt makes, joined by path (./netns-holder.ts).
    const holder = await startNetnsHolder(
      os,
      { ...req.tools.netns, sh: req.tools.sh, sleep: req.tools.sleep },
      held.janitor,
    );
    stops.push(() => holder.stop());
    log(`network namespace held by pid ${holder.pid}`);
    held.bridges = await startBridges(os, holder.pid, held.network.bridges, req.tools.bridge, false);
    log("bridges listening");
    network = { kind: "ns", path: holder.path };
  } else if (held.network !== undefined) {
    if (req.tools.bridge === undefined)
      throw new RuntimeFailure(
        "SRT500",
        "the proxy bridge (srt-bridge, or setpriv, nsenter and socat) was not looked up for this run",
      );
    const name = `srt-${run.id}-net`;
    const hostDirs = (concrete.skeletons[0]?.entries ?? []).flatMap((e) =>
      e.kind === "dir" && !["proc", "dev", "sys", "tmp", "run"].includes(e.path) ? [`/${e.path}`] : [],
    );
    containers.push(name);
    const started = await client.run([
      "run",
      "--detach",
      "--rm",
      "--name",
      name,
      "--label",
      label,
      "--network",
      "none",
      "--pull",
      "never",
      ...confinementArgs(seccompFile, user),
      ...engineCreateArgs(req, limits),
      ...hostDirs.flatMap((d) => ["--mount", bindArg({ source: d, target: d, readonly: true })]),
      "--entrypoint",
      req.tools.sleep,
      image,
      "infinity",
    ]);
    if (started.status !== 0)
      throw new RuntimeFailure("SRT561", `the network holder container did not start: ${started.err.trim()}`);
    const pid = await containerPid(client, name);
    if (pid === undefined) throw new RuntimeFailure("SRT561", "the network holder container has no process");
    held.janitor?.expectGroup(pid);
    log(`holder ${name} pid ${pid}`);
    held.bridges = await startBridges(os, pid, held.network.bridges, req.tools.bridge, req.uid !== 0);
    log("bridges listening");
    network = { kind: "container", id: name };
  }

  const name = req.docker.name ?? `srt-${run.id}`;
  const socket = `${run.path}/supervise.sock`;
  const seccomp = Uint8Array.from(atob(req.plan.seccomp.base64), (c) => c.charCodeAt(0));
  const supervisor = await listenForSupervisor(
    socket,
    supervisorConfig(
      req.plan.supervisor,
      seccomp,
      run.slots.tmp,
      [],
      identifiedRoots(os.fs, req.plan.hostWrites.roots),
    ),
    () => os.clock.date().toISOString(),
    (p, mode) => os.fs.chmod(p, mode),
  );
  stops.push(() => supervisor.close());
  const overlays = [...(held.network?.binds ?? []), ...trustFiles(held.network?.env ?? {}, run.slots.tmp)];
  // Bound over container engines' stores (./mountinfo.ts engineStores): empty, and read-only in the container.
  const empty = `${run.path}/engine-store`;
  os.fs.mkdir(empty, 0o555);
  // Created first, its output kept (the engine's warnings, or why it refused); then started, attached.
  // The host's mount table is read last: a mount that ends before the engine binds it (another
  // container's root) makes the create fail, and it is read again.
  for (let attempt = 1; ; attempt++) {
    const mountinfo = os.fs.readFile("/proc/self/mountinfo");
    const points = mountPoints(mountinfo);
    const stores = engineStores(mountinfo).filter(exists);
    if (stores.length > 0) log(`container engines' stores hidden: ${stores.join(" ")}`);
    const plan = dockerRunArgs({
      artifact: req.plan.oci,
      slots: run.slots,
      bundle,
      exists,
      submounts: (p) => submountsOf(points, p),
      engineMask: { stores, empty },
      command: req.command,
      env: { ...commandEnv(req, run, held.network), ...req.docker.env },
      user,
      image: req.docker.image ?? image,
      imageRoot: req.docker.image !== undefined,
      name,
      labels: { "srt.run": run.id },
      network,
      supervisor: { binary: req.tools.supervisor, socket },
      overlays,
      workdir: req.docker.workdir ?? req.plan.oci.config.process.cwd,
      autoRemove: req.docker.autoRemove,
      limits,
      volumes: req.docker.volumes ?? [],
      interactive: true,
      engineArgs: engineCreateArgs(req, limits),
    });
    if (plan.skipped.length > 0) log(`not mounted (missing, could not be created): ${plan.skipped.join(" ")}`);
    const created = await client.run(plan.args, undefined, plan.clientEnv);
    // Only once it is ours: a name already taken is another container, never removed here.
    if (created.status === 0) {
      if (req.docker.autoRemove) containers.unshift(name);
      break;
    }
    if (attempt < 3 && /bind source path does not exist/.test(created.err)) {
      log(`create refused (${created.err.trim()}); reading the mount table again`);
      continue;
    }
    throw new RuntimeFailure("SRT561", `${req.tools.docker} could not create the container: ${created.err.trim()}`);
  }
  os.inheritedFds(ipcChannelFds(os.env), req.inheritedFds ?? "close");
  const child: SpawnedChild = os.spawn(req.tools.docker, ["start", "--attach", "--interactive", name], {
    stdio: [...(req.stdio ?? (["inherit", "inherit", "inherit"] as const))] as StdioSlot[],
    env: client.env,
    cwd: "/",
    // Its own process group: the watchdog kills it whole if srt dies; a terminal's ^C reaches srt, which forwards it.
    detached: true,
  });
  if (child.pid !== undefined) held.janitor?.expectGroup(child.pid);
  signals.bwrapSpawned(child.pid);
  let done = false;
  const exited = new Promise<Exit>((resolve) => {
    child.once("error", (error) => resolve({ code: null, signal: null, error }));
    child.once("exit", (code, signal) => resolve({ code, signal }));
  }).finally(() => {
    done = true;
    if (child.pid !== undefined) held.janitor?.groupGone(child.pid);
  });
  // The container's first process (srt's supervisor), once it runs: signals go to its group, the watchdog kills it.
  for (let i = 0; !done; i++) {
    const pid = await containerPid(client, name);
    if (pid !== undefined) {
      held.janitor?.expectGroup(pid);
      signals.sandboxStarted(pid);
      held.limits?.startClock(() => signals.killAll());
      signals.deliverPending();
      log(`container ${name} pid ${pid}`);
      void exited.then(() => held.janitor?.groupGone(pid));
      break;
    }
    await Promise.race([os.clock.delay(Math.min(5 * (i + 1), 50)), exited]);
  }
  const exit = await exited;
  supervisor.containerEnded();
  // Whether anything ran is the supervisor's to say: it connects to srt before it runs the command.
  return {
    exit,
    supervised: supervisor.connected(),
    supervisor: supervisor.report,
  };
}

/**
 * The CA certificate and trust bundle TLS termination wrote into the run's temp directory, which
 * the container has writable: bound read-only over themselves, so the command cannot swap the CA
 * its own tools trust. (Only the certificate: srt keeps the key.)
 */
function trustFiles(env: Readonly<Record<string, string>>, tmp: string): { source: string; dest: string }[] {
  const files = new Set(
    tlsTrustVariables.flatMap((k) => (env[k] !== undefined && isWithin(env[k], tmp) ? [env[k]] : [])),
  );
  return [...files].map((f) => ({ source: f, dest: f }));
}

/** podman as root: root lacks CAP_SYS_RESOURCE here, so podman's default rlimits (raised) are refused; keep the host's. */
function engineCreateArgs(req: DockerRunRequest, limits: DockerLimits): string[] {
  if (req.tools.engine !== "podman" || req.uid !== 0) return [];
  return [
    ...(limits.openFiles === undefined ? ["--ulimit", "nofile=20000:20000"] : []),
    "--ulimit",
    "nproc=32768:32768",
  ];
}

/**
 * Whether srt's bridge can enter the holder's network namespace. An unprivileged caller of a
 * rootful Docker engine (a member of the `docker` group) cannot: the namespace belongs to the
 * host's user namespace, and entering it takes CAP_SYS_ADMIN there. A policy that lets something
 * out then cannot be enforced (SRT570); one that allows nothing runs with no network at all,
 * without srt's refusing proxies (its requests fail instead of getting a 403). Rootless Docker
 * and podman as the caller run their containers in the caller's user namespace: entered as before.
 */
async function bridgeable(req: DockerRunRequest, client: DockerClient, log: (what: string) => void): Promise<boolean> {
  if (req.uid === 0 || req.tools.engine !== "docker") return true;
  const info = await client.run(["info", "--format", "{{json .SecurityOptions}}"]);
  if (info.status !== 0)
    throw new RuntimeFailure("SRT561", `${req.tools.docker} info failed: ${info.err.trim() || info.out.trim()}`);
  if (info.out.includes("name=rootless")) return true;
  if (reachesNetwork(req.plan.network.policy))
    throw new RuntimeFailure(
      "SRT570",
      `the Docker engine runs as root and srt as uid ${req.uid}: srt cannot enter its containers' network namespace to put its proxies there, so this policy's network rules cannot be enforced. Run srt as root, use rootless Docker, or a policy that allows no host`,
    );
  log("no refusing proxies: a rootful engine's network namespace cannot be entered as this user; no network at all");
  return false;
}

/** The container's first process on the host, while it runs. */
async function containerPid(client: DockerClient, name: string): Promise<number | undefined> {
  const r = await client.run(["inspect", "--format", "{{.State.Pid}}", name]);
  const pid = Number(r.out.trim());
  return r.status === 0 && Number.isInteger(pid) && pid > 1 ? pid : undefined;
}

/** srt's skeleton root as an image, imported once per engine (its tag is its content's hash). */
async function skeletonImage(
  client: DockerClient,
  root: Parameters<typeof skeletonTar>[0],
  log: (what: string) => void,
): Promise<string> {
  const tar = skeletonTar(root);
  const tag = skeletonImageTag(tar);
  if ((await client.run(["image", "inspect", "--format", "{{.Id}}", tag])).status === 0) return tag;
  const imported = await client.run(["import", "-", tag], tar);
  if (imported.status !== 0)
    throw new RuntimeFailure("SRT562", `cannot import srt's skeleton image ${tag}: ${imported.err.trim()}`);
  log(`imported ${tag}`);
  return tag;
}

async function nodeBundleFs(): Promise<BundleFs> {
  const fs = await import("node:fs");
  return {
    mkdir: (p, mode) => fs.mkdirSync(p, { mode }),
    writeFile: (p, text, mode) => fs.writeFileSync(p, text, { mode, flag: "wx" }),
    symlink: (target, p) => fs.symlinkSync(target, p),
  };
}

/**
 * The writable roots as they are on the host now, for the supervisor to compare with what the
 * daemon mounted (linux/root-identity.ts): the daemon follows a link in a bind's source, and inside
 * the container the destination is the image's own directory, so only the identity tells. A root
 * reached through a link now is refused here, before anything starts.
 */
function identifiedRoots(
  fs: Pick<LinuxDeps["fs"], "rootIdentity">,
  roots: readonly string[],
): { path: string; dev: string; ino: string }[] {
  const out: { path: string; dev: string; ino: string }[] = [];
  for (const path of roots) {
    const id = fs.rootIdentity(path);
    if (id.kind === "absent") continue;
    if (id.kind === "found") out.push({ path, dev: id.dev, ino: id.ino });
    else if (id.kind === "link") throw linkedRootFailure(path, id.at);
    else
      throw new RuntimeFailure(
        "SRT552",
        `cannot check that ${path}, which this plan makes writable, is still the directory it was compiled for (${id.code} at ${id.at}); the command did not run`,
      );
  }
  return out;
}
