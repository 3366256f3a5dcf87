/**
 * Nothing of the network side outlives a run: while the command runs, the
 * bridge (srt-bridge in the sandbox's network namespace) and the proxy sockets
 * exist — the positive control for the searches below — and once srt is
 * done, or SIGKILLed, no bridge or per-connection socat child is left, the
 * run dir with its sockets is gone, and the host server sees its
 * connections closed.
 */
import { chownSync, existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lacking, unavailable } from "../support/requirements.js";
import {
  type Box,
  boxesUnder,
  engines,
  eventually,
  leftovers,
  missingRunc,
  missingTestUser,
  processesWith,
  runnersFor,
  useBox,
} from "../linux/support.js";
import {
  bridgeProcesses,
  makeScratch,
  missingTools,
  networkSkipReason,
  networkSupported,
  runScript,
  shown,
  startScript,
  tools,
  type Scratch,
} from "./support.js";
import { startEchoServer, type TestServer } from "./servers.js";

/** A number no other process has on its command line; `sleep` takes it as seconds. */
const marker = (): string => `30.${process.pid}${Math.floor(Math.random() * 1e9)}`;

const socketsIn = (box: Box): string[] =>
  readdirSync(box.tmp, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith(".sock"))
    .sort();

describe.skipIf(
  lacking(!networkSupported, networkSkipReason) ||
    lacking(!tools.nc, "network clean-up: BSD nc is missing (apt-get install netcat-openbsd)"),
)("network clean-up after a run", () => {
  if (missingTestUser) unavailable("as srt-test: user srt-test does not exist (useradd -m srt-test)");
  if (missingRunc) unavailable("under runc (srt --runtime runc): runc is not installed (apt-get install runc)");
  for (const why of missingTools) unavailable(why);
  let scratch: Scratch;
  let echo: TestServer;

  beforeAll(async () => {
    scratch = makeScratch();
    echo = await startEchoServer();
  });
  afterAll(async () => {
    await echo?.close();
    scratch?.remove();
  });

  /**
   * Starts a run that opens a SOCKS tunnel to the echo server in the
   * background (a per-connection socat child exists), prints `ready` and then
   * waits for `release` in the work dir or for its own sleep to end.
   */
  async function liveRun(box: Box, m: string) {
    const settings = { network: { allowedDomains: [`127.0.0.1:${echo.port}`] } };
    const script = [
      `(printf 'held-open\\n'; sleep ${m}) | nc -X 5 -x 127.0.0.1:1080 127.0.0.1 ${echo.port} > tunnel.out &`,
      "i=0; while [ ! -s tunnel.out ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done",
      "echo ready",
      `i=0; while [ ! -e release ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done`,
    ].join("\n");
    const run = startScript(scratch, box, settings, script);
    let stdout = "";
    run.child.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
    const ready = await eventually(() => stdout.includes("ready"), 10_000);
    return { run, ready };
  }

  describe.each(engines)("under %s", (engine) => {
    const useBox = boxesUnder(engine);
    describe.each(runnersFor(engine))("as %s", (runner) => {
      it("a TMPDIR too long for unix socket paths: srt refuses clearly, runs nothing, leaves no stray socket", async (ctx) => {
        const box = useBox(ctx, runner);
        // Long enough that <TMPDIR>/srt-XXXXXX/socks.sock exceeds sun_path (108 bytes with the NUL).
        const long = join(box.root, "t".repeat(Math.max(1, 100 - box.root.length)));
        mkdirSync(long);
        if (runner === "srt-test") chownSync(long, box.uid, box.gid);
        const out = await runScript(
          scratch,
          box,
          { network: { allowedDomains: [`127.0.0.1:${echo.port}`] } },
          "echo ran > ran.txt",
          { env: { TMPDIR: long } },
        );
        expect(out.status, shown(out)).toBe(1);
        expect(out.stderr).toMatch(/TMPDIR/);
        expect(existsSync(join(box.work, "ran.txt"))).toBe(false);
        // Nothing but srt's per-user registry directory may remain there.
        expect(readdirSync(long).filter((n) => n !== `srt-${box.uid}`)).toEqual([]);
      });

      it("after a normal exit: no bridge or socat child, no run dir, no proxy socket, the tunnel closed", async (ctx) => {
        const box = useBox(ctx, runner);
        const m = marker();
        const { run, ready } = await liveRun(box, m);
        const during = {
          bridges: bridgeProcesses(box.tmp),
          sockets: socketsIn(box),
          seen: [...echo.seen],
          open: echo.open(),
        };
        writeFileSync(join(box.work, "release"), "");
        const out = await run.done;
        expect(ready, shown(out)).toBe(true);
        expect(out.status, shown(out)).toBe(0);
        // Control: srt's one bridge process for both ports (it holds the tunnel too: no per-connection child).
        expect(during.bridges, during.bridges.join(", ")).toEqual([expect.stringMatching(/ srt-bridge$/)]);
        expect(during.sockets.map((s) => s.split("/").pop())).toEqual(["http.sock", "socks.sock"]);
        expect(during.seen).toContain("held-open");
        expect(during.open).toBeGreaterThanOrEqual(1);

        expect(
          await eventually(() => bridgeProcesses(box.tmp).length === 0),
          `left: ${bridgeProcesses(box.tmp).join(", ")}`,
        ).toBe(true);
        expect(processesWith(m)).toEqual([]);
        expect(socketsIn(box)).toEqual([]);
        expect(leftovers(box)).toEqual([]);
        // The tunnel's upstream connection is closed too (the proxy closed it when the sandbox side went).
        expect(await eventually(() => echo.open() === 0), `echo server still has ${echo.open()} open`).toBe(true);
      });

      it("after srt is SIGKILLed: the bridges die with it (pdeathsig), the sandbox too, and the run dir is cleaned up", async (ctx) => {
        const box = useBox(ctx, runner);
        const m = marker();
        const { run, ready } = await liveRun(box, m);
        const before = bridgeProcesses(box.tmp);
        run.child.kill("SIGKILL");
        const out = await run.done;
        expect(ready, shown(out)).toBe(true);
        expect(before, before.join(", ")).toEqual([expect.stringMatching(/ srt-bridge$/)]);
        expect(
          await eventually(() => bridgeProcesses(box.tmp).length === 0),
          `left: ${bridgeProcesses(box.tmp).join(", ")}`,
        ).toBe(true);
        expect(
          await eventually(() => processesWith(m).length === 0),
          `sandbox left: ${processesWith(m).join(" ")}`,
        ).toBe(true);
        // The watchdog removes the run dir (sockets included) once srt is gone.
        expect(
          await eventually(() => leftovers(box).length === 0),
          `left in TMPDIR: ${leftovers(box).join(", ")}`,
        ).toBe(true);
        expect(socketsIn(box)).toEqual([]);
        expect(existsSync(box.tmp)).toBe(true);
        expect(await eventually(() => echo.open() === 0), `echo server still has ${echo.open()} open`).toBe(true);
      });
    });
  });
});
