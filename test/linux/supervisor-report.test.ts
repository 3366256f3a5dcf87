/**
 * Every write the policy refuses is reported: the end-of-run summary on stderr and one JSON line
 * per refusal in --violations, with the path, the operation, the rule and its origin, and the
 * setting that would allow it. Real bwrap, root and srt-test.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { lacking, unavailable } from "../support/requirements.js";
import {
  boxesUnder,
  engines,
  missingTestUser,
  runnersFor,
  runtimeArgs,
  skipReason,
  srt,
  supported,
  writeSettings,
} from "./support.js";

describe.skipIf(lacking(!supported, skipReason))("refused writes are reported", () => {
  if (missingTestUser) unavailable("as srt-test: user srt-test does not exist (useradd -m srt-test)");

  describe.each(engines)("under %s", (engine) => {
    const useBox = boxesUnder(engine);
    describe.each(runnersFor(engine))("as %s", (runner) => {
      it.concurrent("in the summary and as --violations lines with rule, origin and the setting", async (ctx) => {
        const b = useBox(ctx, runner, { "work/src/lib/keep.txt": "v1", "work/locked/old.txt": "v1" });
        writeSettings(b, { filesystem: { denyWrite: [join(b.work, "locked")] } });
        const file = join(b.outside, "violations.jsonl");
        const out = await srt(b, [
          ...runtimeArgs(b),
          "--settings",
          b.settings,
          "--violations",
          file,
          "-c",
          [
            "mkdir -p src/lib/deep/.claude",
            "echo x > ../outside/new.txt",
            "echo x > locked/new.txt",
            "echo ok > src/lib/fine.txt",
            "true",
          ].join("; "),
        ]);
        expect(out.status, out.stderr).toBe(0);
        expect(out.stderr).toMatch(/srt: refused 3 writes: /);
        const lines = readFileSync(file, "utf8")
          .trim()
          .split("\n")
          .map((l) => JSON.parse(l) as Record<string, string>);
        const by = (p: string): Record<string, string> | undefined => lines.find((l) => l["path"] === p);
        expect(by(join(b.work, "src/lib/deep/.claude"))).toMatchObject({
          kind: "filesystem-write",
          operation: "mkdir",
          errno: "EACCES",
          rule: "mandatory:agent-config",
          allowWith: expect.stringMatching(/^none: srt always protects it/),
        });
        expect(by(join(b.outside, "new.txt"))).toMatchObject({
          operation: "create",
          errno: "EROFS",
          rule: "default:filesystem.allowWrite",
          allowWith: `filesystem.allowWrite: add "${b.outside}"`,
        });
        expect(by(join(b.work, "locked/new.txt"))).toMatchObject({
          operation: "create",
          rule: "/filesystem/denyWrite/0",
          allowWith: "remove the entry at /filesystem/denyWrite/0",
        });
        expect(lines).toHaveLength(3);
      });
    });
  });
});
