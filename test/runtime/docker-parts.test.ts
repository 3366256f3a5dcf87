/**
 * The Docker/podman runner's parts, on their own (the runner itself is tested against real engines
 * in test/linux/docker*.test.ts):
 *   - srt's socket for the supervisor (real unix sockets in a temp directory): the first
 *     connection gets the configuration and reports; a second one is refused; a container that
 *     ends without connecting reports "not ready"; the socket is open to any uid (docker.user);
 *   - the podman network-namespace holder (a fake OS): ready once `lo` is up, else SRT561 with
 *     the group killed and the watchdog released.
 */
import { EventEmitter } from "node:events";
import { chmodSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { listenForSupervisor } from "../../src/runtime/oci/supervisor-socket.js";
import { startNetnsHolder } from "../../src/runtime/oci/netns-holder.js";
import type { LinuxDeps, SpawnedChild } from "../../src/runtime/linux/deps.js";
import { RuntimeFailure } from "../../src/runtime/failure.js";

const record = (...f: string[]): string => f.map((x) => `${x}\0`).join("");

describe("srt's socket for the supervisor", () => {
  let dir = "";
  afterEach(() => {
    if (dir !== "") rmSync(dir, { recursive: true, force: true });
  });

  const open = (path: string): Promise<{ socket: Socket; received: Promise<string>; error: Promise<string> }> =>
    new Promise((resolve) => {
      const socket = connect({ path, allowHalfOpen: true });
      let got = "";
      const received = new Promise<string>((r) => {
        socket.on("data", (d: Buffer) => (got += d.toString("latin1")));
        socket.on("end", () => r(got));
      });
      const error = new Promise<string>((r) => socket.on("error", (e: NodeJS.ErrnoException) => r(e.code ?? "")));
      socket.once("connect", () => resolve({ socket, received, error }));
      socket.once("error", () => resolve({ socket, received, error }));
    });

  it("serves one connection: the configuration out, the records in; then no one else", async () => {
    dir = mkdtempSync(join(tmpdir(), "srt-sock-"));
    const path = join(dir, "supervise.sock");
    const sock = await listenForSupervisor(path, Buffer.from("config-bytes"), () => "t", chmodSync);
    // Open to the container's user, whoever it is (docker.user): the run directory keeps others out.
    expect(statSync(path).mode & 0o777).toBe(0o666);
    const first = await open(path);
    expect(await first.received).toBe("config-bytes");
    expect(sock.connected()).toBe(true);
    // The command, later: the listener is closed.
    const second = await open(path);
    expect(await second.error).toMatch(/ECONNREFUSED|ENOENT/);
    first.socket.end(
      record("status", "ready", "", "") + record("create", "EACCES", "mandatory:agent-config", "/w/.mcp.json"),
    );
    const report = await sock.report;
    expect(report).toMatchObject({ ready: true, dropped: 0 });
    expect(report.refusals).toEqual([
      { operation: "create", errno: "EACCES", rule: "mandatory:agent-config", path: "/w/.mcp.json", time: "t" },
    ]);
    sock.close();
  });

  it("a container that ended without connecting never ran its command", async () => {
    dir = mkdtempSync(join(tmpdir(), "srt-sock-"));
    const path = join(dir, "supervise.sock");
    const sock = await listenForSupervisor(
      path,
      Buffer.alloc(0),
      () => "t",
      () => undefined,
    );
    sock.containerEnded();
    expect(await sock.report).toMatchObject({ ready: false, failed: "it never connected to srt" });
    expect(sock.connected()).toBe(false);
    sock.close();
  });
});

describe("podman's network-namespace holder", () => {
  class Child extends EventEmitter {
    readonly stdout = new PassThrough();
    readonly stderr = new PassThrough();
    readonly stdin = null;
    readonly stdio = [null, this.stdout, this.stderr];
    exitCode: number | null = null;
    signalCode: NodeJS.Signals | null = null;
    constructor(readonly pid: number) {
      super();
    }
  }
  const fakeOs = (behave: (c: Child) => void) => {
    const events: string[] = [];
    const os = {
      spawn: (file: string, args: readonly string[]) => {
        events.push(`spawn ${file} ${args.slice(0, 3).join(" ")}`);
        const c = new Child(7000);
        setImmediate(() => behave(c));
        return c as unknown as SpawnedChild;
      },
      kill: (pid: number, signal: NodeJS.Signals) => void events.push(`kill ${pid} ${signal}`),
      clock: { after: () => () => undefined } as unknown as LinuxDeps["clock"],
    };
    const janitor = {
      expectGroup: (p: number) => void events.push(`expect ${p}`),
      groupGone: (p: number) => void events.push(`gone ${p}`),
    };
    return { os, janitor, events };
  };
  const tools = { unshare: "/usr/bin/unshare", ip: "/bin/ip", sh: "/bin/sh", sleep: "/bin/sleep" };

  it("is ready once lo is up: the namespace by its pid, handed to the watchdog; stop kills the group", async () => {
    const { os, janitor, events } = fakeOs((c) => c.stdout.write("up\n"));
    const holder = await startNetnsHolder(os, tools, janitor);
    expect(holder.path).toBe("/proc/7000/ns/net");
    expect(events).toEqual(["spawn /usr/bin/unshare --net -- /bin/sh", "expect 7000"]);
    holder.stop();
    expect(events.slice(2)).toEqual(["kill -7000 SIGKILL", "gone 7000"]);
  });

  it("a namespace whose lo does not come up is SRT561, and its process is gone", async () => {
    const { os, janitor, events } = fakeOs((c) => {
      c.stderr.write("RTNETLINK answers: Operation not permitted\n");
      setImmediate(() => c.emit("exit", 1, null));
    });
    const failure = await startNetnsHolder(os, tools, janitor).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(RuntimeFailure);
    expect(failure).toMatchObject({ code: "SRT561" });
    expect(String((failure as Error).message)).toContain("RTNETLINK answers: Operation not permitted");
    expect(events).toContain("kill -7000 SIGKILL");
    expect(events).toContain("gone 7000");
  });
});
