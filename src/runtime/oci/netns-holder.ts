/**
 * podman as root: the command's network namespace is made by srt on the host rather than held by
 * a second container (CONTAINERS.md: podman joins a namespace by path, `--network ns:FILE`;
 * Docker cannot, so it keeps its holder container).
 *
 * A host process enters a new network namespace (`unshare --net`), brings its `lo` up with `ip`
 * (a new namespace's `lo` is down, and srt's bridges listen on 127.0.0.1 there), says so, and then
 * only sleeps: it holds a namespace with nothing but `lo`. srt's bridges are entered into it by its
 * pid (../linux/bridge.ts, as for the holder container) and the container joins it as
 * /proc/PID/ns/net. So the only way out is srt's proxies, as before, minus a container's start.
 *
 * It leads its own process group, handed to the watchdog (if srt is SIGKILLed, the group is
 * killed); srt kills it when the run ends. A namespace that cannot be made, or whose `lo` does not
 * come up, is SRT561 and nothing runs.
 */
import type { Readable } from "node:stream";
import type { LinuxDeps } from "../linux/deps.js";
import type { Janitor } from "../linux/janitor.js";
import { RuntimeFailure } from "../failure.js";

export interface NetnsTools {
  readonly unshare: string;
  readonly ip: string;
  readonly sh: string;
  readonly sleep: string;
}

export interface NetnsHolder {
  readonly pid: number;
  /** The namespace, for `--network ns:PATH`. */
  readonly path: string;
  stop(): void;
}

const script = '"$1" link set lo up || exit 1\necho up\nexec "$2" infinity';
const readyWithinMs = 10_000;

export async function startNetnsHolder(
  os: Pick<LinuxDeps, "spawn" | "kill" | "clock">,
  tools: NetnsTools,
  janitor: Pick<Janitor, "expectGroup" | "groupGone"> | undefined,
): Promise<NetnsHolder> {
  const child = os.spawn(tools.unshare, ["--net", "--", tools.sh, "-c", script, "sh", tools.ip, tools.sleep], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" },
    cwd: "/",
    detached: true,
  });
  const pid = child.pid;
  if (pid !== undefined) janitor?.expectGroup(pid);
  const stop = (): void => {
    if (pid === undefined) return;
    try {
      os.kill(-pid, "SIGKILL");
    } catch {
      // already gone
    }
    janitor?.groupGone(pid);
  };
  let err = "";
  (child.stderr as Readable | null)?.on("data", (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
  let cancel = (): void => undefined;
  const up = await new Promise<boolean>((resolve) => {
    let out = "";
    (child.stdout as Readable | null)?.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("up\n")) resolve(true);
    });
    child.once("exit", () => resolve(false));
    child.once("error", (e) => {
      err += e.message;
      resolve(false);
    });
    cancel = os.clock.after(readyWithinMs, () => resolve(false));
  });
  cancel();
  if (!up || pid === undefined) {
    stop();
    throw new RuntimeFailure(
      "SRT561",
      `cannot make the network namespace for the container (${tools.unshare} --net, ${tools.ip} link set lo up): ${err.trim() || "no answer"}`,
    );
  }
  return { pid, path: `/proc/${pid}/ns/net`, stop };
}
