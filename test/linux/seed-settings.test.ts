/**
 * Issue 14: the settings blocks of the ports srt replaces run unchanged. Every
 * `seed-rust-*` fixture (the Rust port with docker support) and the reference
 * README's complete example is checked,
 * then run through real bwrap as root and as srt-test: `true`, a write in the
 * working directory, and — where the block denies ~/.ssh — a read of a key
 * there, which must fail. A block with docker CPU/memory limits needs a cgroup
 * srt-test may not have: then the run must be refused, not run unlimited.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { lacking } from "../support/requirements.js";
import { listFixtures, repoRoot } from "../support/fixtures.js";
import {
  report,
  runners,
  sh,
  skipReason,
  srt,
  supported,
  useBox,
  writeSettings,
  type Box,
  type Outcome,
} from "./support.js";

/**
 * Several blocks make /tmp writable, so srt also protects what other processes keep there and
 * stops the run (SRT505, fail closed) when one of them removes its directory meanwhile — on a
 * shared machine, other test files do (or bwrap finds a protected file gone: the same race, one
 * step later). Such a run is retried (at most three times); a
 * detachment inside the test's own box still fails the test.
 */
async function settled(box: Box, run: () => Promise<Outcome>): Promise<Outcome> {
  let out = await run();
  for (let i = 0; i < 2; i++) {
    // The same race one step later: a protected file srt found was removed before bwrap bound it.
    const moved =
      /error SRT505: (\S+) was replaced/.exec(out.stderr)?.[1] ??
      /bwrap: Can't find source path (\S+?): No such file/.exec(out.stderr)?.[1];
    if (out.status === 0 || moved === undefined || moved.startsWith(box.root)) break;
    out = await run();
  }
  return out;
}

const blocks = [...listFixtures().filter((n) => n.startsWith("seed-rust-")), "reference-complete-example"];

describe.skipIf(lacking(!supported, skipReason))("seed ports' settings blocks, unchanged", () => {
  describe.each(runners)("as %s", (runner) => {
    it.for(blocks)("%s: srt check exits 0 and commands run", async (name, ctx) => {
      const text = readFileSync(`${repoRoot}fixtures/${name}/settings.json`, "utf8");
      const box = useBox(ctx, runner, { "home/.ssh/": null, "home/.ssh/id_ed25519": "KEY\n" });
      writeSettings(box, text);
      const env = { HOME: box.home };
      const checked = await srt(box, ["check", box.settings], { env });
      expect(checked.status, checked.stderr).toBe(0);
      const t = await settled(box, () => srt(box, ["--settings", box.settings, "--", "true"], { env }));
      // docker.cpuLimit/memoryLimit are limits srt enforces with a cgroup: srt-test without a
      // delegated one gets the refusal (fail closed, exit 1), never a run without the limits.
      const docker = (JSON.parse(text) as { docker?: { cpuLimit?: number; memoryLimit?: number } }).docker;
      const limited = docker?.cpuLimit !== undefined || docker?.memoryLimit !== undefined;
      if (t.status !== 0 && runner === "srt-test" && limited) {
        expect(t.status).toBe(1);
        expect(t.stderr).toMatch(
          /error SRT550: this host cannot enforce (memory|CPU) limit .*\/docker\/(memoryLimit|cpuLimit)/,
        );
        return;
      }
      expect(t.status, `srt -- true: ${t.stderr}`).toBe(0);
      const denies = (JSON.parse(text) as { filesystem?: { denyRead?: string[] } }).filesystem?.denyRead ?? [];
      const out = await settled(box, () =>
        sh(
          box,
          [
            'echo hi > ./written && echo "write=ok"',
            'cat "$HOME/.ssh/id_ed25519" >/dev/null 2>&1 && echo "ssh=read" || echo "ssh=refused"',
          ].join("\n"),
          { env },
        ),
      );
      expect(out.status, `srt -c script: ${out.stderr}`).toBe(0);
      expect(report(out)["write"], out.stderr).toBe("ok");
      if (denies.some((p) => p === "~/.ssh")) expect(report(out)["ssh"]).toBe("refused");
    });
  });
});

const rsBlocks = listFixtures().filter((n) => n.startsWith("seed-rs-"));

describe.skipIf(lacking(!supported, skipReason))("the macOS Rust port's settings blocks, unchanged", () => {
  describe.each(runners)("as %s", (runner) => {
    it.for(rsBlocks)("%s: srt check exits 0 and writes go where the block says", async (name, ctx) => {
      const text = readFileSync(`${repoRoot}fixtures/${name}/settings.json`, "utf8");
      const box = useBox(ctx, runner, {});
      writeSettings(box, text);
      const env = { HOME: box.home };
      const checked = await srt(box, ["check", box.settings], { env });
      expect(checked.status, checked.stderr).toBe(0);
      expect(checked.stderr).toMatch(
        /warning SRT136: filesystem\.allowed_paths is sandbox-runtime-rs 0\.1\.0's own key/,
      );
      const t = await settled(box, () => srt(box, ["--settings", box.settings, "--", "true"], { env }));
      expect(t.status, `srt -- true: ${t.stderr}`).toBe(0);
      const everywhere = (
        JSON.parse(text) as { filesystem: { allowed_paths: string[] } }
      ).filesystem.allowed_paths.includes("**");
      const probe = `/var/cache/srt-rs-probe-${process.pid}-${runner}`;
      const out = await settled(box, () =>
        sh(
          box,
          [
            `echo hi > "${everywhere ? box.work : box.outside}/written" && echo "tmp=ok" || echo "tmp=refused"`,
            `echo hi > "${probe}" 2>/dev/null && echo "cache=ok" || echo "cache=refused"`,
            `rm -f "${probe}"`,
          ].join("\n"),
          { env },
        ),
      );
      expect(out.status, `srt -c script: ${out.stderr}`).toBe(0);
      expect(report(out)["tmp"], out.stderr).toBe("ok");
      expect(report(out)["cache"], out.stderr).toBe("refused");
    });
  });
});
