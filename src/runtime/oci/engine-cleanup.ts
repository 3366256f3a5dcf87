/**
 * After srt died (the watchdog's `srt __cleanup`): the containers of its run,
 * found by their label `srt.run=<run id>`, removed at once. The watchdog kills
 * their first processes too, but only those srt had already seen; a container
 * created or started in the moment srt was killed is found here.
 */
import { spawnSync } from "node:child_process";

export interface EngineCleanup {
  readonly engine: string;
  readonly kind: "docker" | "podman";
  readonly dockerHost?: string | undefined;
  readonly runId: string;
  readonly root: boolean;
}

export function removeRunContainers(c: EngineCleanup): void {
  const global =
    c.kind === "podman" && c.root
      ? ["--runtime", "runc", "--cgroup-manager", "cgroupfs", "--events-backend", "file"]
      : [];
  const env = {
    PATH: "/usr/sbin:/usr/bin:/sbin:/bin",
    ...(c.dockerHost === undefined ? {} : { DOCKER_HOST: c.dockerHost }),
  };
  const run = (args: string[]): string =>
    spawnSync(c.engine, [...global, ...args], {
      env,
      encoding: "utf8",
      timeout: 30_000,
      stdio: ["ignore", "pipe", "ignore"],
    }).stdout ?? "";
  const names = run(["ps", "--all", "--filter", `label=srt.run=${c.runId}`, "--format", "{{.Names}}"])
    .split("\n")
    .filter((n) => n !== "")
    // The command's container before the holder whose network it uses.
    .sort((a, b) => Number(a.endsWith("-net")) - Number(b.endsWith("-net")));
  for (const n of names) run(["rm", "--force", ...(c.kind === "podman" ? ["--time", "0"] : []), n]);
}
