/**
 * `srt compile --target macos --emit sb F` prints the Seatbelt profile, run
 * in-process through the CLI's own `main` (the profile is text; nothing here
 * runs sandbox-exec).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { afterAll, describe, expect, it } from "vitest";
import { validateSbpl } from "../../src/backends/seatbelt/index.js";
import { main } from "../../src/cli/main.js";
import type { CliIo } from "../../src/cli/io.js";

const dir = mkdtempSync(`${tmpdir()}/srt-sb-`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(args: readonly string[]): Promise<{ status: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const io: CliIo = {
    out: (t) => void (out += t),
    err: (t) => void (err += t),
    cwd: dir,
    env: { HOME: dir },
    color: false,
    platform: "linux",
    uid: 0,
    gid: 0,
    onSignals: () => () => undefined,
  };
  const status = await main(args, io);
  return { status, out, err };
}

describe("srt compile --target macos", () => {
  const settings = `${dir}/s.json`;
  writeFileSync(
    settings,
    JSON.stringify({ filesystem: { denyRead: ["~/.ssh"], allowWrite: ["."] }, network: { httpProxyPort: 8888 } }),
  );

  it("--emit sb prints a valid profile with the policy's fixed proxy port, else the documented default", async () => {
    const r = await run(["compile", "--target", "macos", "--emit", "sb", settings]);
    expect(r.status).toBe(0);
    expect(validateSbpl(r.out)).toEqual([]);
    expect(r.out).toContain(`(subpath "${dir}/.ssh")`);
    expect(r.out).toContain('(remote tcp "localhost:8888")');
    expect(r.out).toContain('(remote tcp "localhost:1080")');
  });

  it("prints the profile by default for macos", async () => {
    const r = await run(["compile", "--target", "macos", settings]);
    expect(r.status).toBe(0);
    expect(r.out.startsWith("; srt Seatbelt profile")).toBe(true);
  });

  it("is not offered for linux", async () => {
    const r = await run(["compile", "--target", "linux", "--emit", "sb", settings]);
    expect(r.status).toBe(2);
    expect(r.err).toMatch(/--emit sb is not available for linux/);
  });
});
