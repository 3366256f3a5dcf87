/**
 * srt hands srt-bridge the sandbox's pid, and the bridge enters that pid's
 * namespaces. A pid names a process only while it lives. The sandbox's first
 * process is held on bwrap's block fd, so the command itself cannot end it
 * before the bridge is in; but a same-uid command in a weaker nested sandbox
 * (no pid namespace: it sees and may signal the user's host processes, srt
 * included) can kill it and, with srt stopped meanwhile, cycle pids until a
 * process of its own, in its own namespace, holds that pid. A bridge that
 * then followed the pid would listen in the attacker's namespace for another
 * run's proxies. The bridge takes bwrap's pid (child-of=) and enters the
 * namespaces only of a process that, after they were opened, is still
 * bwrap's child.
 *
 * Cycling through pid_max pids is not something a test can do on every
 * machine, so the recycled pid is played by the attacker's own process in
 * its own network namespace: the state after recycling, exactly. The first
 * half is real: bwrap's sandbox process is killed while it waits on the block
 * fd, as the attacker would.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { describe, expect, it } from "vitest";
import { lacking, unavailable } from "../support/requirements.js";
import { as, exited, fakeProxy, inNetns, ip, missing, said, start, startBridge } from "./bridge-support.js";
import { bwrapPath, missingTestUser, PATH, runners, type Runner, type TestHooks } from "./support.js";

const streams = (c: ChildProcess): unknown[] => c.stdio as unknown as unknown[];

/** Real bwrap, as the runner, its sandbox process held on the block fd; resolves with both pids. */
async function heldBwrap(ctx: TestHooks, runner: Runner): Promise<{ bwrap: ChildProcess; sandboxPid: number }> {
  const args = ["--unshare-net", "--unshare-pid", "--ro-bind", "/", "/"];
  const argv = as(runner, [bwrapPath!, ...args, "--json-status-fd", "5", "--block-fd", "6", "--", "true"]);
  const bwrap = spawn(argv[0]!, argv.slice(1), {
    stdio: ["ignore", "ignore", "inherit", "ignore", "ignore", "pipe", "pipe"],
    env: { PATH },
  });
  ctx.onTestFinished(() => {
    if (bwrap.exitCode === null && bwrap.signalCode === null) bwrap.kill("SIGKILL");
  });
  const status = await said(streams(bwrap)[5] as NodeJS.ReadableStream, "}");
  return { bwrap, sandboxPid: Number(/"child-pid": (\d+)/.exec(status)![1]) };
}

describe.skipIf(lacking(missing !== undefined || bwrapPath === undefined, missing ?? "bwrap is not installed"))(
  "srt-bridge enters only the namespaces of bwrap's child",
  () => {
    if (missingTestUser) unavailable("as srt-test: user srt-test does not exist (useradd -m srt-test)");
    for (const runner of runners) {
      it(`as ${runner}: the sandbox process killed, its pid another namespace's process: refused, nothing listens there`, async (ctx) => {
        const proxy = fakeProxy(ctx);
        const port = 3128;
        const { bwrap, sandboxPid } = await heldBwrap(ctx, runner);
        const bwrapEnded = exited(bwrap);
        process.kill(sandboxPid, "SIGKILL");
        await bwrapEnded;
        // The attacker's process with "the same pid", lo up in its namespace, ready to connect.
        const attacker = inNetns(
          ctx,
          runner,
          [
            `${ip} link set lo up`,
            "echo prepared",
            "read x",
            `if exec 3<>/dev/tcp/127.0.0.1/${port}; then printf stolen >&3; echo connected; else echo refused; fi`,
            "read x",
          ].join("\n"),
        );
        await said(attacker.stdout!, "prepared");
        const b = startBridge(ctx, runner, attacker.pid!, port, proxy.path, [`child-of=${bwrap.pid}`]);
        const gone = exited(b.child);
        const outcome = await b.ready.then(
          () => "ready",
          () => gone,
        );
        expect(`${outcome}: ${b.stderr()}`.trim()).toMatch(/^exited \(70\): .*not bwrap's child/);
        attacker.stdin!.write("connect\n");
        expect(await said(attacker.stdout!, "\n")).toMatch(/refused/);
        attacker.stdin!.end("done\n");
      });

      it(`as ${runner}: bwrap's sandbox process, alive: the bridge listens in its namespace`, async (ctx) => {
        const proxy = fakeProxy(ctx);
        const { bwrap, sandboxPid } = await heldBwrap(ctx, runner);
        const b = startBridge(ctx, runner, sandboxPid, 3128, proxy.path, [`child-of=${bwrap.pid}`]);
        const outcome = await Promise.race([exited(b.child), b.ready.then(() => "ready")]);
        expect(`${outcome} ${b.stderr()}`.trim()).toBe("ready");
        (streams(bwrap)[6] as NodeJS.WritableStream).end("x");
        expect(await exited(bwrap)).toBe("exited (0)");
      });
    }
  },
);
