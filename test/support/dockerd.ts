/**
 * A private Docker engine for the tests (CONTAINERS.md): its own data root,
 * exec root, pid file and socket in a fresh directory, no bridge, no
 * iptables, no forwarding — so it touches neither the host's network nor
 * another engine — reached through DOCKER_HOST, stopped at teardown. Started
 * by root (rootful dockerd; rootless Docker is not needed to test srt); with
 * `group`, that group's members use it too, as a `docker` group's do.
 *
 * No registry is reachable: `ubuntu:22.04` is made locally from Debian's
 * static busybox (a shell and the usual tools in one 2 MB file).
 *
 * One private engine at a time on the machine (a lock in /tmp, taken by
 * startPrivateDocker and released by stop): srt binds the host's /tmp
 * read-only, and another engine's containers come and go below it. srt hides
 * engines' stores now (test/linux/docker-engines.test.ts runs among such
 * containers on purpose); the lock still keeps the other files' timings
 * (limits, wall time) off a machine busy with several engines. Test files
 * run in parallel; their engines wait for each other instead.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";

export const dockerdPath = ["/usr/sbin/dockerd", "/usr/bin/dockerd"].find((p) => existsSync(p));
/** The 20.10 client Debian ships with the engine (srt itself finds its own in the system directories). */
export const dockerClient = ["/usr/bin/docker", "/usr/local/bin/docker"].find((p) => existsSync(p));
export const busyboxPath = ["/bin/busybox", "/usr/bin/busybox"].find((p) => existsSync(p));
/** A dynamic ELF names its loader (PT_INTERP, "/lib…/ld-…") near the start; the static one does not. */
const busyboxStatic =
  busyboxPath !== undefined && !readFileSync(busyboxPath).subarray(0, 4096).toString("latin1").includes("/ld-");

export const missingDocker =
  process.getuid?.() !== 0
    ? "a private dockerd needs root"
    : dockerdPath === undefined || dockerClient === undefined
      ? "Docker is not installed (apt-get install docker.io)"
      : !busyboxStatic
        ? "a static busybox is not installed (apt-get install busybox-static)"
        : undefined;

export interface PrivateDocker {
  readonly host: string;
  readonly dir: string;
  /** Runs the client against this engine. */
  docker(args: readonly string[], input?: Buffer): { status: number | null; stdout: string; stderr: string };
  stop(): Promise<void>;
}

const applets = ["sh", "id", "cat", "echo", "pwd", "ls", "touch", "mkdir", "sleep", "env", "grep", "wget", "timeout"];

const lockDir = "/tmp/srt-test-dockerd.lock";
/** Long enough for another file's engine and its tests (test/linux/docker*.test.ts) to end first. */
const lockWaitMs = 240_000;

/** The machine's one private engine slot: waits for it; a holder that died (its pid gone) is broken. */
async function takeEngineSlot(): Promise<() => void> {
  const owner = join(lockDir, "pid");
  const deadline = Date.now() + lockWaitMs;
  for (;;) {
    try {
      mkdirSync(lockDir, { mode: 0o700 });
      writeFileSync(owner, String(process.pid));
      let held = true;
      return () => {
        if (held) rmSync(lockDir, { recursive: true, force: true });
        held = false;
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    let pid = NaN;
    try {
      pid = Number(readFileSync(owner, "utf8"));
    } catch {
      // being written, or being removed
    }
    if (Number.isInteger(pid) && pid > 0 && !existsSync(`/proc/${pid}`))
      rmSync(lockDir, { recursive: true, force: true });
    if (Date.now() > deadline) throw new Error(`another private dockerd held ${lockDir} for ${lockWaitMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export interface EngineOptions {
  /**
   * The socket's group (`dockerd -G`): its members use the engine as the `docker` group's do,
   * as themselves (srt passes their uid:gid to the container). The engine's directory is then
   * searchable by all (0711), so they reach the socket; nothing else in it is theirs.
   */
  readonly group?: string;
}

export async function startPrivateDocker(options: EngineOptions = {}): Promise<PrivateDocker> {
  const release = await takeEngineSlot();
  try {
    return await startEngine(release, options);
  } catch (e) {
    release();
    throw e;
  }
}

async function startEngine(release: () => void, options: EngineOptions): Promise<PrivateDocker> {
  // Short: the socket's path must fit in sockaddr_un.
  const dir = mkdtempSync("/tmp/srtdk-");
  if (options.group !== undefined) chmodSync(dir, 0o711);
  const sock = join(dir, "sock");
  const host = `unix://${sock}`;
  const daemon: ChildProcess = spawn(
    dockerdPath!,
    [
      ...(options.group === undefined ? [] : ["-G", options.group]),
      "--bridge=none",
      "--iptables=false",
      "--ip-forward=false",
      "--ip-masq=false",
      "--data-root",
      join(dir, "data"),
      "--exec-root",
      join(dir, "exec"),
      "-p",
      join(dir, "dockerd.pid"),
      "-H",
      host,
    ],
    { stdio: ["ignore", "ignore", "pipe"], detached: true },
  );
  let log = "";
  daemon.stderr?.setEncoding("utf8").on("data", (d: string) => (log = (log + d).slice(-4000)));
  const docker: PrivateDocker["docker"] = (args, input) => {
    const r = spawnSync(dockerClient!, args, {
      env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", DOCKER_HOST: host, DOCKER_CONFIG: join(dir, "config") },
      encoding: "utf8",
      ...(input === undefined ? {} : { input }),
      timeout: 60_000,
    });
    return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
  };
  const stop = async (): Promise<void> => {
    if (daemon.exitCode === null && daemon.signalCode === null) {
      const gone = new Promise((r) => daemon.once("exit", r));
      daemon.kill("SIGTERM");
      await Promise.race([gone, new Promise((r) => setTimeout(r, 15_000))]);
      if (daemon.exitCode === null && daemon.signalCode === null) daemon.kill("SIGKILL");
    }
    // Its containers' mounts are gone with it; anything left in the exec root is unmounted before removal.
    spawnSync("sh", ["-c", `grep -o " ${dir}[^ ]*" /proc/self/mounts | sort -r | xargs -r -n1 umount -l`]);
    rmSync(dir, { recursive: true, force: true });
    release();
  };
  for (let i = 0; i < 300; i++) {
    if (docker(["version", "--format", "{{.Server.Version}}"]).status === 0) break;
    if (daemon.exitCode !== null) throw new Error(`dockerd exited: ${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  // ubuntu:22.04, made here: busybox and its applets.
  const root = join(dir, "image");
  mkdirSync(join(root, "bin"), { recursive: true });
  for (const d of ["etc", "tmp", "app", "proc", "dev", "sys"]) mkdirSync(join(root, d));
  copyFileSync(busyboxPath!, join(root, "bin/busybox"));
  for (const a of applets) symlinkSync("busybox", join(root, "bin", a));
  const tar = spawnSync("tar", ["-C", root, "-cf", "-", "."], { maxBuffer: 64 << 20 });
  const imported = docker(["import", "-", "ubuntu:22.04"], tar.stdout);
  if (imported.status !== 0) {
    await stop();
    throw new Error(`docker import failed: ${imported.stderr} ${log}`);
  }
  return { host, dir, docker, stop };
}

/** Containers of srt's runs (label srt.run) on the engine, running or not. */
export function srtContainers(d: PrivateDocker): string[] {
  return d
    .docker(["ps", "--all", "--filter", "label=srt.run", "--format", "{{.Names}}"])
    .stdout.split("\n")
    .filter((l) => l !== "");
}
