/**
 * srt learns the sandbox's pid from bwrap's status fd right after bwrap's
 * clone(), before bwrap's child has configured the new network namespace's
 * loopback (127.0.0.1/8 on lo, then lo up). srt-bridge may get there first.
 * Binding 127.0.0.1 works in a namespace with no routing table yet, and works
 * once the address's local route exists, but not in between: the kernel
 * creates the local table and inserts the route in two steps, and a bind
 * between them fails with EADDRNOTAVAIL (measured with real bwrap: a bind
 * spun from the moment the pid is known hit that ~8 µs window in about 1 run
 * in 15, 0.1–7 ms after the pid was reported; srt's bridge, which binds once
 * a few ms later, hit it once in a loaded bench: "srt-bridge: bind 127.0.0.1:
 * Cannot assign requested address", and the run was refused).
 *
 * The window cannot be hit on demand, so this test holds a namespace in the
 * state the window is in: a local table without 127.0.0.1 (an address added
 * and removed again) and lo down. The bridge must wait for lo to come up
 * (bwrap sets it up last) instead of failing, listen once it is, and carry a
 * connection made from inside.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../support/repo.js";
import { lacking, unavailable } from "../support/requirements.js";
import { missingTestUser, PATH, runners, type Runner } from "./support.js";

const bridge = join(repoRoot, "dist/native/srt-bridge");
const setpriv = ["/usr/bin/setpriv", "/bin/setpriv"].find(existsSync);
const unshare = ["/usr/bin/unshare", "/bin/unshare"].find(existsSync);
const ip = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].find(existsSync);
const missing =
  process.platform !== "linux"
    ? "not Linux"
    : !existsSync(bridge)
      ? `${bridge} is missing (npm run build)`
      : setpriv === undefined || unshare === undefined || ip === undefined
        ? "setpriv, unshare and ip (util-linux, iproute2) are needed"
        : undefined;

const id = (flag: string): string => spawnSync("id", [flag, "srt-test"], { encoding: "utf8" }).stdout.trim();

/** argv that runs `argv` as the runner (root: as it is). */
function as(runner: Runner, argv: readonly string[]): string[] {
  if (runner !== "srt-test") return [...argv];
  return [setpriv!, `--reuid=${id("-u")}`, `--regid=${id("-g")}`, "--clear-groups", "--", ...argv];
}

function start(argv: readonly string[], stdio: ("pipe" | "ignore" | "inherit")[]): ChildProcess {
  return spawn(argv[0]!, argv.slice(1), { stdio, env: { PATH } });
}

/** Resolves with what the stream said once it contains `text`; rejects when it ends without. */
function said(stream: NodeJS.ReadableStream, text: string): Promise<string> {
  let seen = "";
  return new Promise((resolve, reject) => {
    stream.setEncoding("utf8");
    stream.on("data", (d: string) => (seen += d).includes(text) && resolve(seen));
    stream.on("end", () => reject(new Error(`ended without ${JSON.stringify(text)}: ${JSON.stringify(seen)}`)));
  });
}

const exited = (c: ChildProcess): Promise<string> =>
  new Promise((resolve) => c.once("exit", (code, signal) => resolve(`exited (${signal ?? code})`)));

describe.skipIf(lacking(missing !== undefined, missing ?? ""))("srt-bridge and a loopback not set up yet", () => {
  if (missingTestUser) unavailable("as srt-test: user srt-test does not exist (useradd -m srt-test)");
  for (const runner of runners)
    it(`as ${runner}: waits for lo to come up, then listens and carries a connection`, async (ctx) => {
      const dir = mkdtempSync(join(tmpdir(), "srt-bridge-lo-"));
      chmodSync(dir, 0o755);
      const sock = join(dir, "proxy.sock");
      let received = "";
      const got = new Promise<string>((resolve) => {
        const server: Server = createServer((c) => {
          c.setEncoding("utf8");
          c.on("data", (d: string) => (received += d));
          c.on("end", () => resolve(received));
        });
        server.listen(sock, () => chmodSync(sock, 0o666));
        ctx.onTestFinished(() => void server.close());
      });
      const port = 3128;
      // A namespace whose local table exists but has no 127.0.0.1, lo down: where a bind fails.
      const script = [
        `${ip} addr add 127.0.0.1/8 dev lo`,
        `${ip} addr del 127.0.0.1/8 dev lo`,
        "echo prepared",
        "read x",
        `${ip} link set lo up`,
        "read x",
        `exec 3<>/dev/tcp/127.0.0.1/${port}`,
        "printf hello >&3",
        "exec 3>&-",
        "read x",
      ].join("\n");
      const userns = runner === "srt-test";
      const holder = start(as(runner, [unshare!, userns ? "-rn" : "-n", "--", "bash", "-c", script]), [
        "pipe",
        "pipe",
        "inherit",
      ]);
      const bridged: ChildProcess[] = [holder];
      ctx.onTestFinished(() => {
        for (const c of bridged) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
        rmSync(dir, { recursive: true, force: true });
      });
      await said(holder.stdout!, "prepared");
      const b = start(
        as(runner, [bridge, String(process.pid), String(holder.pid), userns ? "1" : "0", `${port}=${sock}`]),
        ["ignore", "ignore", "pipe", "pipe"],
      );
      bridged.push(b);
      let stderr = "";
      b.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
      const ready = said(b.stdio[3] as NodeJS.ReadableStream, "ready\n");
      const early = await Promise.race([
        exited(b),
        ready.then(
          () => "ready",
          () => "no ready line",
        ),
        new Promise<string>((r) => setTimeout(() => r("waiting"), 300)),
      ]);
      expect(`${early} ${stderr}`.trim(), "while lo is down the bridge neither fails nor says ready").toBe("waiting");
      holder.stdin!.write("up\n");
      await ready;
      holder.stdin!.write("connect\n");
      expect(await got).toBe("hello");
      holder.stdin!.end("done\n");
    });
});
