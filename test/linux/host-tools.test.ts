/**
 * The host programs srt starts (bwrap, and for a policy with network access
 * setpriv, nsenter and socat) run outside every sandbox, before it exists.
 * `npx srt` and npm scripts put the project's node_modules/.bin first on PATH,
 * and the project is writable by default: an earlier sandboxed command can
 * plant `node_modules/.bin/bwrap` there. srt must never run it.
 */
import { chmodSync, chownSync, mkdirSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  missingTestUser,
  PATH,
  read,
  report,
  runners,
  sh,
  supported,
  useBox,
  writeSettings,
  skipReason,
} from "./support.js";
import { lacking, unavailable } from "../support/requirements.js";

/** A fake tool that leaves a marker on the host (where no sandbox could write it) and then does the real job. */
const plant = (marker: string, real: string): string => `#!/bin/sh\necho "$0" >> ${marker}\nexec ${real} "$@"\n`;

describe.skipIf(lacking(!supported, skipReason))("host tools never come from PATH", () => {
  if (missingTestUser) unavailable("as srt-test: user srt-test does not exist (useradd -m srt-test)");

  describe.each(runners)("as %s", (runner) => {
    it.concurrent(
      "a bwrap planted in the project's node_modules/.bin (first on PATH) is not run; the command runs sandboxed",
      async (ctx) => {
        const b = useBox(ctx, runner);
        const marker = b.at("outside/planted-ran");
        const bin = b.at("work/node_modules/.bin");
        mkdirSync(bin, { recursive: true });
        for (const tool of ["bwrap", "setpriv", "nsenter", "socat"]) {
          const p = `${bin}/${tool}`;
          writeFileSync(p, plant(marker, `/usr/bin/${tool}`), { mode: 0o755 });
          chmodSync(p, 0o755);
          if (runner === "srt-test") chownSync(p, b.uid, b.gid);
        }
        if (runner === "srt-test") for (const d of [b.at("work/node_modules"), bin]) chownSync(d, b.uid, b.gid);
        const env = { PATH: `${bin}:${PATH}` };
        // No network: bwrap only.
        const plain = await sh(
          b,
          "echo ran=yes; echo x > ../outside/escape 2>/dev/null && echo outside=written || echo outside=refused",
          { env },
        );
        expect(plain.status, plain.stderr).toBe(0);
        expect(report(plain)).toEqual({ ran: "yes", outside: "refused" });
        // With network access the proxy bridge needs setpriv, nsenter and socat too.
        writeSettings(b, { network: { allowedDomains: ["example.test"] } });
        const networked = await sh(
          b,
          "echo ran=yes; echo x > ../outside/escape 2>/dev/null && echo outside=written || echo outside=refused",
          { env },
        );
        expect(networked.status, networked.stderr).toBe(0);
        expect(report(networked)).toEqual({ ran: "yes", outside: "refused" });
        expect(read(marker), "a planted tool ran on the host").toBeUndefined();
        expect(read(b.at("outside/escape"))).toBeUndefined();
      },
    );

    it.concurrent(
      "a policy that makes a directory srt starts host programs from writable is refused (exit 1); nothing runs",
      async (ctx) => {
        const b = useBox(ctx, runner);
        writeSettings(b, { filesystem: { allowWrite: [".", "/usr/local/sbin"] } });
        const out = await sh(b, "echo ran=yes > ran.txt");
        expect(out.status, out.stderr).toBe(1);
        expect(out.stderr).toContain("/usr/local/sbin");
        expect(out.stderr).toMatch(/^srt: error SRT500: /m);
        expect(out.stderr).toContain("the command did not run");
        expect(read(b.at("work/ran.txt"))).toBeUndefined();
      },
    );
  });
});
