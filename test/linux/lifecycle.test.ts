/**
 * The sandbox's life and srt's contract around it, with real processes: the
 * command's exit status comes back (128+N for a signal), signals to srt are
 * forwarded, nothing outlives srt — not background jobs, not after `timeout`,
 * not after srt is SIGKILLed (no process, no run dir, no placeholder) — a
 * compiled plan runs without its settings, and a bad policy or a missing
 * bwrap runs nothing at all.
 */
import { rmSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { lacking, unavailable } from "../support/requirements.js";
import {
  eventually,
  leftovers,
  missingTestUser,
  printed,
  processesWith,
  read,
  report,
  runners,
  sh,
  srt,
  startSrt,
  skipReason,
  supported,
  tree,
  useBox,
  writeSettings,
} from "./support.js";

/** A number no other process on this machine has on its command line; `sleep` accepts it as seconds. */
const marker = (): string => `300.${process.pid}${Math.floor(Math.random() * 1e9)}`;

const waitFor = async (get: () => string, text: string, ms = 10_000): Promise<void> => {
  if (!(await eventually(() => get().includes(text), ms)))
    throw new Error(`never saw ${JSON.stringify(text)} in: ${get()}`);
};

describe.skipIf(lacking(!supported, skipReason))("sandbox lifecycle", () => {
  if (missingTestUser) unavailable("as srt-test: user srt-test does not exist (useradd -m srt-test)");

  describe.each(runners)("as %s", (runner) => {
    it.concurrent("exit statuses come back: 0, 7, 128+N for a signal", async (ctx) => {
      const b = useBox(ctx, runner);
      const cases: [string, number][] = [
        ["exit 0", 0],
        ["exit 7", 7],
        ["kill -TERM $$", 143],
        ["kill -KILL $$", 137],
      ];
      // One after the other: concurrent runs in one directory can still fail closed (exit 1) when one
      // compiles while another's placeholders exist and registers after they were removed (see the report).
      const statuses: (number | null)[] = [];
      for (const [script] of cases) statuses.push((await sh(b, script)).status);
      expect(statuses).toEqual(cases.map(([, status]) => status));
      const direct = await srt(b, ["--settings", b.settings, "--", "sh", "-c", "exit 42"]);
      expect(direct.status).toBe(42);
    });

    it.concurrent("background jobs die with the command", async (ctx) => {
      const b = useBox(ctx, runner);
      const m = marker();
      const out = await sh(b, `sleep ${m} & echo started=$!`);
      expect(out.status).toBe(0);
      expect(report(out)["started"]).toMatch(/^\d+$/);
      expect(await eventually(() => processesWith(m).length === 0), `left running: ${processesWith(m).join(" ")}`).toBe(
        true,
      );
    });

    it.concurrent(
      "background jobs die with the command in the weaker nested sandbox too (no PID namespace)",
      async (ctx) => {
        const b = useBox(ctx, runner, {}, { enableWeakerNestedSandbox: true });
        const m = marker();
        const out = await sh(b, `sleep ${m} & echo started=$!`);
        expect(out.status, out.stderr).toBe(0);
        expect(report(out)["started"]).toMatch(/^\d+$/);
        expect(
          await eventually(() => processesWith(m).length === 0),
          `left running: ${processesWith(m).join(" ")}`,
        ).toBe(true);
      },
    );

    it.concurrent("`timeout N srt -- sleep` leaves no orphan", async (ctx) => {
      const b = useBox(ctx, runner);
      const m = marker();
      // timeout(1) acts on SIGALRM, its own timer's signal: sent once the command runs, it times out
      // then (TERM to srt's process group, exit 124) instead of at a moment guessed in advance, which
      // on a busy machine fell in srt's start-up.
      const run = startSrt(b, ["--settings", b.settings, "--", "sh", "-c", `sleep ${m} & echo ready; sleep ${m}`], {
        wrap: (argv) => ["timeout", "60", ...argv],
      });
      await printed(run, "ready\n");
      run.child.kill("SIGALRM");
      const out = await run.done;
      expect(out.status, out.stderr).toBe(124);
      expect(await eventually(() => processesWith(m).length === 0), `left running: ${processesWith(m).join(" ")}`).toBe(
        true,
      );
    });

    it.concurrent("SIGTERM to srt reaches the command's trap, and srt exits 143", async (ctx) => {
      const b = useBox(ctx, runner);
      const run = startSrt(b, [
        "--settings",
        b.settings,
        "-c",
        "trap 'echo trapped=TERM; exit 3' TERM; echo ready; while :; do sleep 0.05; done",
      ]);
      let stdout = "";
      run.child.stdout?.on("data", (d: string) => (stdout += d));
      await waitFor(() => stdout, "ready");
      run.child.kill("SIGTERM");
      const out = await run.done;
      expect(report(out)["trapped"]).toBe("TERM");
      expect(out.status).toBe(143);
    });

    it.concurrent(
      "SIGKILL of srt leaves nothing behind: no sandboxed process, no run dir, no placeholder",
      async (ctx) => {
        const b = useBox(ctx, runner, { "work/readme": "v1" });
        const before = tree(b.work);
        const m = marker();
        const run = startSrt(b, ["--settings", b.settings, "-c", `sleep ${m} & echo ready; sleep ${m}`]);
        let stdout = "";
        run.child.stdout?.on("data", (d: string) => (stdout += d));
        await waitFor(() => stdout, "ready");
        // While it runs, the placeholders and the run dir exist (so the check below is not vacuous).
        expect(tree(b.work)).toContain(".npmrc");
        expect(leftovers(b).length).toBeGreaterThan(0);
        run.child.kill("SIGKILL");
        await run.done;
        expect(
          await eventually(() => processesWith(m).length === 0),
          `left running: ${processesWith(m).join(" ")}`,
        ).toBe(true);
        expect(await eventually(() => leftovers(b).length === 0), `left in TMPDIR: ${leftovers(b).join(" ")}`).toBe(
          true,
        );
        expect(
          await eventually(() => tree(b.work).join() === before.join()),
          `left in cwd: ${tree(b.work).join(" ")}`,
        ).toBe(true);
      },
    );

    it.concurrent("`srt exec plan.json` runs a compiled plan without the settings file", async (ctx) => {
      const b = useBox(ctx, runner, { "work/locked.txt": "v1" });
      writeSettings(b, { filesystem: { denyWrite: ["locked.txt"] } });
      const plan = b.at("plan.json");
      const compiled = await srt(b, ["compile", "--target", "linux", b.settings, "-o", plan]);
      expect(compiled.status, compiled.stderr).toBe(0);
      rmSync(b.settings);
      const script =
        "echo v2 > locked.txt 2>/dev/null && echo locked=written || echo locked=refused; echo ok > free.txt && echo free=written; echo x > ../outside/x 2>/dev/null && echo outside=written || echo outside=refused; exit 5";
      const out = await srt(b, ["exec", plan, "--", "sh", "-c", script]);
      expect(out.status, out.stderr).toBe(5);
      expect(report(out)).toEqual({ locked: "refused", free: "written", outside: "refused" });
      expect(read(b.at("work/locked.txt"))).toBe("v1");
      expect(read(b.at("work/free.txt"))).toBe("ok\n");
      expect(read(b.at("outside/x"))).toBeUndefined();
    });

    it.concurrent("a bad policy exits 2 and runs nothing", async (ctx) => {
      const b = useBox(ctx, runner);
      for (const bad of [{ filesystem: { allowWrite: 5 } }, { filesystem: { denyWrit: ["x"] } }, "{ not json"]) {
        writeSettings(b, bad);
        const out = await srt(b, ["--settings", b.settings, "--", "touch", b.at("work/ran")]);
        expect(out.status, `${JSON.stringify(bad)}: ${out.stderr}`).toBe(2);
        expect(read(b.at("work/ran"))).toBeUndefined();
      }
      const missing = await srt(b, ["--settings", b.at("nope.json"), "--", "touch", b.at("work/ran")]);
      expect(missing.status).toBe(2);
      expect(read(b.at("work/ran"))).toBeUndefined();
    });

    // A missing bwrap cannot be simulated with PATH any more (srt ignores it; see host-tools.test.ts):
    // the message for a missing tool is unit-tested with an injected file system (test/runtime/host-tools.test.ts).
    it.concurrent(
      "PATH plays no part in finding bwrap: with a useless PATH the command still runs sandboxed",
      async (ctx) => {
        const b = useBox(ctx, runner);
        const out = await srt(b, ["--settings", b.settings, "--", "/usr/bin/touch", b.at("work/ran")], {
          env: { PATH: "/nonexistent" },
        });
        expect(out.status, out.stderr).toBe(0);
        expect(read(b.at("work/ran"))).toBe("");
      },
    );
  });
});
