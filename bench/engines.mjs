// Engines (issue 17): wall time of `srt -- true` under bwrap (the default), under runc
// (`srt --runtime runc`, the OCI backend) and under Docker (`srt --runtime docker`), without and
// with network (proxies bridged into the container), as ratios to bwrap measured in the same run.
// runc is slower by design: it writes a bundle, and runc's own start-up (a Go binary, its init
// re-exec, cgroups for root) dominates. Docker adds its daemon's container set-up (and, with
// network, a second container: the holder). As root with dockerd installed, a private engine is
// started for the run (as the tests do: no bridge, no iptables) and stopped after it.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { fmt, medianMs } from "./_measure.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const srt = process.env.SRT_BENCH_BIN ?? `${root}dist/srt.cjs`;
const has = (tool) => spawnSync("sh", ["-c", `PATH=$PATH:/usr/sbin:/sbin command -v ${tool}`]).status === 0;
if (process.platform !== "linux" || !has("bwrap") || !has("runc")) {
  console.log("engines bench: skipped (needs Linux with bwrap and runc)");
  process.exit(0);
}
const runs = 15;
const cwd = mkdtempSync(join(tmpdir(), "srt-bench-engines-"));

/** A private dockerd for this run, or undefined when it cannot be had here. */
async function privateDocker() {
  const dockerd = ["/usr/sbin/dockerd", "/usr/bin/dockerd"].find((p) => existsSync(p));
  const client = ["/usr/bin/docker", "/usr/local/bin/docker"].find((p) => existsSync(p));
  if (process.getuid?.() !== 0 || dockerd === undefined || client === undefined) return undefined;
  const dir = mkdtempSync("/tmp/srtdkb-");
  const host = `unix://${dir}/sock`;
  const daemon = spawn(
    dockerd,
    ["--bridge=none", "--iptables=false", "--ip-forward=false", "--ip-masq=false"].concat([
      "--data-root",
      `${dir}/data`,
      "--exec-root",
      `${dir}/exec`,
      "-p",
      `${dir}/pid`,
      "-H",
      host,
    ]),
    { stdio: "ignore", detached: true },
  );
  const env = { ...process.env, DOCKER_HOST: host };
  for (let i = 0; i < 300; i++) {
    if (spawnSync(client, ["version"], { env, stdio: "ignore" }).status === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const stop = async () => {
    const gone = new Promise((r) => daemon.once("exit", r));
    daemon.kill("SIGTERM");
    await Promise.race([gone, new Promise((r) => setTimeout(r, 15_000))]);
    rmSync(dir, { recursive: true, force: true });
  };
  return { env, stop };
}

const docker = await privateDocker();
try {
  writeFileSync(join(cwd, "offline.json"), JSON.stringify({ filesystem: { denyRead: ["~/.ssh"] } }));
  writeFileSync(
    join(cwd, "online.json"),
    JSON.stringify({ network: { allowedDomains: ["example.test"] }, filesystem: { denyRead: ["~/.ssh"] } }),
  );
  const run = (...args) =>
    medianMs([process.execPath, srt, ...args, "--", "true"], { runs, cwd, env: docker?.env ?? process.env });
  const rows = [];
  for (const settings of ["offline.json", "online.json"]) {
    const bwrap = run("--settings", settings);
    const runc = run("--runtime", "runc", "--settings", settings);
    const dockerMs = docker === undefined ? undefined : run("--runtime", "docker", "--settings", settings);
    rows.push({ settings, bwrap, runc, docker: dockerMs });
  }
  for (const r of rows)
    console.log(
      `srt -- true, ${r.settings.padEnd(12)} bwrap ${fmt(r.bwrap).padStart(9)}  runc ${fmt(r.runc).padStart(9)}  runc/bwrap ${(r.runc / r.bwrap).toFixed(2)}x` +
        (r.docker === undefined
          ? ""
          : `  docker ${fmt(r.docker).padStart(9)}  docker/bwrap ${(r.docker / r.bwrap).toFixed(2)}x  docker/runc ${(r.docker / r.runc).toFixed(2)}x`),
    );
  if (docker === undefined) console.log("docker: not measured (needs root and dockerd: apt-get install docker.io)");
} finally {
  rmSync(cwd, { recursive: true, force: true });
  await docker?.stop();
}
