/**
 * The library's warm path as root and as srt-test: a host program (run as the
 * box's runner) uses createSandbox() and the SandboxManager shim. Offline
 * commands run in one prepared session and the shim's command line starts
 * bwrap directly, so it works under execSync — and it must still enforce the
 * policy, honour customConfig per command, fail closed once the manager is
 * reset, and stop commands whose protection the host detaches (the session's
 * protection watch outlives each command; the shim's commands are not srt's
 * children, so srt finds them by the marker in bwrap's argv).
 *
 * The detach tests follow host-replace.test.ts: the command retries a write
 * behind a gate that the test opens only after giving srt time to act.
 */
import { chownSync, existsSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { lacking, unavailable } from "../support/requirements.js";
import {
  missingTestUser,
  read,
  runners,
  skipReason,
  srtArgv,
  startSrt,
  supported,
  useBox,
  type Box,
} from "./support.js";

const loop =
  "touch ready; for i in $(seq 200); do if [ -e gate ]; then echo sandbox-text >> .gitmodules 2>/dev/null && echo wrote; fi; sleep 0.02; done; echo loop-ended";

/** The host program: shared helpers, then the scenario. Prints one JSON line. */
const prelude = `
import { execSync, spawn, spawnSync } from "node:child_process";
import { existsSync, renameSync, writeFileSync } from "node:fs";
const { createSandbox, createSandboxManager } = await import(process.env.SRT_INDEX);
const work = process.cwd();
const waitFor = async (check, ms) => { const end = Date.now() + ms; while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 25)); return check(); };
const ended = (p) => new Promise((resolve) => p.on("close", (status, signal) => resolve({ status, signal })));
/** Starts the loop, waits until it runs, replaces .gitmodules the way an editor saves, opens the gate after srt acted (or 3 s). */
async function detach(start) {
  const { done, out } = start();
  if (!(await waitFor(() => existsSync("ready"), 10000))) return { error: "never ready", out: out() };
  writeFileSync(".gitmodules.swp", "[submodule v2]\\n");
  renameSync(".gitmodules.swp", ".gitmodules");
  await Promise.race([done, new Promise((r) => setTimeout(r, 3000))]);
  writeFileSync("gate", "");
  return { end: await done, out: out() };
}
`;

const scenarios = {
  shim: `
const m = createSandboxManager();
await m.initialize({}, undefined, { cwd: work });
const run = (line) => execSync(line, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
const policy = run(await m.wrapWithSandbox('echo "$SRT_SANDBOX \${BASH_VERSION:+bash}"; touch ../outside/x 2>/dev/null && echo wrote-outside; echo x >> .gitmodules 2>/dev/null && echo wrote-protected; echo end'));
const custom = run(await m.wrapWithSandbox("touch ../outside/y && echo custom-wrote", undefined, { filesystem: { allowWrite: [work + "/../outside"] } }));
const back = run(await m.wrapWithSandbox("touch ../outside/z 2>/dev/null && echo wrote || echo refused"));
const line = await m.wrapWithSandbox("echo late");
await m.reset();
const after = spawnSync(line, { shell: true, encoding: "utf8" });
console.log(JSON.stringify({ policy, custom, back, after: { status: after.status, stdout: after.stdout } }));
`,
  "detach-shim": `
const m = createSandboxManager();
await m.initialize({}, undefined, { cwd: work });
const line = await m.wrapWithSandbox(process.env.LOOP);
const r = await detach(() => {
  const c = spawn(line, { shell: true, stdio: ["ignore", "pipe", "ignore"] });
  let out = ""; c.stdout.on("data", (d) => (out += d));
  return { done: ended(c), out: () => out };
});
const again = execSync(await m.wrapWithSandbox("echo again >> .gitmodules 2>/dev/null && echo wrote; echo next-ran"), { encoding: "utf8" });
await m.reset();
console.log(JSON.stringify({ ...r, again }));
`,
  "detach-spawn": `
const s = await createSandbox({}, { cwd: work });
const r = await detach(() => {
  const p = s.spawn("/bin/sh", ["-c", process.env.LOOP], { stdio: ["ignore", "pipe", "ignore"] });
  let out = ""; p.stdout.on("data", (d) => (out += d));
  return { done: p.exited, out: () => out };
});
const next = s.spawn("/bin/sh", ["-c", "echo again >> .gitmodules 2>/dev/null && echo wrote; echo next-ran"], { stdio: ["ignore", "pipe", "ignore"] });
let again = ""; next.stdout.on("data", (d) => (again += d));
await next.exited;
await s.close();
console.log(JSON.stringify({ ...r, again }));
`,
} as const;

async function host(b: Box, scenario: keyof typeof scenarios): Promise<Record<string, unknown>> {
  const script = b.at("host.mjs");
  writeFileSync(script, prelude + scenarios[scenario]);
  if (b.runner === "srt-test") chownSync(script, b.uid, b.gid);
  const srtPath = srtArgv(b, []).find((a) => a.endsWith("/srt.cjs"))!;
  const run = startSrt(b, [], {
    wrap: (argv) => argv.map((a) => (a === srtPath ? script : a)),
    env: { SRT_INDEX: join(dirname(srtPath), "index.mjs"), LOOP: loop },
    timeoutMs: 60_000,
  });
  const out = await run.done;
  const last = out.stdout.trim().split("\n").pop() ?? "";
  expect(out.status, `${out.stdout}\n${out.stderr}`).toBe(0);
  return JSON.parse(last) as Record<string, unknown>;
}

describe.skipIf(lacking(!supported, skipReason))("the library's warm path under real bwrap", () => {
  if (missingTestUser) unavailable("as srt-test: user srt-test does not exist (useradd -m srt-test)");

  describe.each(runners)("as %s", (runner) => {
    it.concurrent(
      "the shim's command line under execSync: policy enforced, customConfig for that command only, fails closed after reset()",
      async (ctx) => {
        const b = useBox(ctx, runner, { "work/.gitmodules": "[submodule v1]\n" });
        const r = await host(b, "shim");
        expect(r["policy"]).toBe("1 bash\nend\n");
        expect(r["custom"]).toBe("custom-wrote\n");
        expect(r["back"]).toBe("refused\n");
        expect(existsSync(b.at("outside/x"))).toBe(false);
        expect(existsSync(b.at("outside/y"))).toBe(true);
        expect(existsSync(b.at("outside/z"))).toBe(false);
        expect(read(b.at("work/.gitmodules"))).toBe("[submodule v1]\n");
        expect(r["after"]).toEqual({ status: 2, stdout: "" });
      },
    );

    for (const scenario of ["detach-shim", "detach-spawn"] as const)
      it.concurrent(
        `${scenario}: a protection the host detaches kills the command running then; the next command is protected again`,
        async (ctx) => {
          const b = useBox(ctx, runner, { "work/.gitmodules": "[submodule v1]\n" });
          const r = await host(b, scenario);
          expect(r["error"]).toBeUndefined();
          expect(r["out"]).not.toContain("wrote");
          expect(r["out"]).not.toContain("loop-ended");
          expect(read(b.at("work/.gitmodules"))).toBe("[submodule v2]\n");
          // Killed, not ended: the shim's bwrap by SIGKILL; spawn()'s handle reports the detachment.
          if (scenario === "detach-shim") expect(r["end"]).toEqual({ status: null, signal: "SIGKILL" });
          else expect(r["end"]).toEqual(expect.objectContaining({ status: 1, failureCode: "SRT505" }));
          expect(r["again"]).toBe("next-ran\n");
        },
      );
  });
});
