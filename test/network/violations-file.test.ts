/**
 * `--violations FILE` is written by srt on the host, after the sandbox is
 * gone, with host names the command chose. One run replaced the file (in the
 * writable project) by a link to a shell start-up file outside; the next run
 * appended a line through it, carrying a host name like `$(touch …)`, which
 * the next shell ran. srt must not write through such a link, must keep the
 * file out of the command's reach during the run, and every report must be
 * data a shell cannot run.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { missingTestUser, read, runners, srt, useBox, writeSettings, type Box } from "../linux/support.js";
import { makeScratch, networkSkipReason, networkSupported, runScript, shown, type Scratch } from "./support.js";
import { unavailable } from "../support/requirements.js";

const node = process.execPath;
const policy = { network: { allowedDomains: ["allowed.srt.test"] } };

/** Runs text as a POSIX shell script (as a shell start-up file would be), from the box, and says whether marker appeared. */
function shellRuns(b: Box, text: string, marker: string): boolean {
  const script = b.at("outside/as-shell-file");
  writeFileSync(script, text);
  spawnSync("sh", [script], { cwd: b.root, stdio: "ignore", timeout: 5000 });
  return read(marker) !== undefined;
}

describe.skipIf(!networkSupported)("the --violations file", () => {
  if (missingTestUser) unavailable("as srt-test: user srt-test does not exist (useradd -m srt-test)");
  if (!networkSupported) it.skip(networkSkipReason, () => {});
  let scratch: Scratch;
  beforeAll(() => {
    scratch = makeScratch();
  });
  afterAll(() => scratch?.remove());

  describe.each(runners)("as %s", (runner) => {
    it("a link planted by one run at the file's place is not written through by the next (exit 2), in run mode and under srt exec", async (ctx) => {
      const b = useBox(ctx, runner, { "outside/bashrc": "# rc\n" });
      const marker = b.at("outside/pwned");
      // Run 1: the command turns the violations file of later runs into a link to the "start-up file".
      const plant = await runScript(
        scratch,
        b,
        policy,
        "rm -f v.jsonl; ln -s ../outside/bashrc v.jsonl && echo planted=yes",
      );
      expect(plant.stdout, shown(plant)).toContain("planted=yes");
      // Run 2: a refused request whose host name is shell code.
      const blocked = `${node} ${scratch.client} socks '$(touch ${marker})' 80 x; echo ran=yes`;
      const second = await runScript(scratch, b, policy, blocked, { flags: ["--violations", "v.jsonl"] });
      expect(second.status, shown(second)).toBe(2);
      expect(second.stdout).not.toContain("ran=yes");
      expect(second.stderr).toContain("symlink");
      writeSettings(b, policy);
      const compiled = await srt(b, ["compile", "--target", "linux", b.settings, "-o", b.at("outside/plan.json")]);
      expect(compiled.status, shown(compiled)).toBe(0);
      const exec = await srt(
        b,
        ["exec", b.at("outside/plan.json"), "--violations", "v.jsonl", "--", "sh", "-c", blocked],
        { wrap: (a) => a.map((x) => (x.endsWith("srt.cjs") ? scratch.srtFor(b) : x)) },
      );
      expect(exec.status, shown(exec)).toBe(2);
      expect(exec.stdout).not.toContain("ran=yes");
      expect(read(b.at("outside/bashrc"))).toBe("# rc\n");
      expect(shellRuns(b, read(b.at("outside/bashrc"))!, marker)).toBe(false);
    });

    it("while a run writes to it, its command can neither replace the file nor link it elsewhere", async (ctx) => {
      const b = useBox(ctx, runner, { "outside/bashrc": "# rc\n" });
      const script =
        "rm -f v.jsonl 2>/dev/null && echo rm=ok || echo rm=failed; ln -sf ../outside/bashrc v.jsonl 2>/dev/null && echo ln=ok || echo ln=failed; echo x >> v.jsonl 2>/dev/null && echo write=ok || echo write=failed";
      const out = await runScript(scratch, b, policy, script, { flags: ["--violations", "v.jsonl"] });
      expect(out.status, shown(out)).toBe(0);
      expect(out.stdout).toContain("rm=failed");
      expect(out.stdout).toContain("ln=failed");
      expect(out.stdout).toContain("write=failed");
      expect(read(b.at("outside/bashrc"))).toBe("# rc\n");
      // srt appended the refused writes themselves (the supervisor's reports), and nothing else.
      const lines = read(b.at("work/v.jsonl"))!.split("\n").filter(Boolean);
      for (const l of lines) expect(JSON.parse(l)).toMatchObject({ kind: "filesystem-write" });
    });

    it("host names the command chose are data in the file and in the summary: nothing a shell could run", async (ctx) => {
      const b = useBox(ctx, runner);
      const marker = b.at("outside/pwned");
      const hosts = [`$(touch ${marker})`, `\`touch ${marker}\``, `x;touch ${marker};`, `x\ntouch ${marker}\n`];
      const script = hosts.map((h) => `${node} ${scratch.client} socks '${h}' 80 x`).join("\n");
      const out = await runScript(scratch, b, policy, script, { flags: ["--violations", b.at("violations.jsonl")] });
      expect(out.status, shown(out)).toBe(0);
      const file = readFileSync(b.at("violations.jsonl"), "utf8");
      const lines = file.split("\n").filter((l) => l !== "");
      expect(lines.length, file).toBe(hosts.length);
      for (const l of lines) expect(JSON.parse(l)).toMatchObject({ kind: "network", proxy: "socks", port: 80 });
      expect(file).not.toMatch(/[$`\u2028\u2029\x7f]/);
      const summary = out.stderr.split("\n").find((l) => l.startsWith("srt: blocked"));
      expect(summary, out.stderr).toBeDefined();
      expect(summary).not.toMatch(/[$`;\x00-\x1f\x7f]/);
      expect(shellRuns(b, `${file}\n${summary}\n`, marker)).toBe(false);
    });
  });
});
