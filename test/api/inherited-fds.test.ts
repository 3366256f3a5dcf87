/**
 * A host process holding an fd without close-on-exec (inherited from its own
 * parent): by default spawn() closes it so the sandboxed command never sees
 * it; with inheritedFds: "refuse" the run fails and names the fd. The host runs
 * as a child process given an extra fd 200 on a file of the test's.
 */
import { spawnSync, type StdioOptions } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { lacking } from "../support/requirements.js";
import { repoRoot } from "../support/repo.js";
import { skipReason, supported } from "./support.js";

const dir = mkdtempSync(join(tmpdir(), "srt-fds-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const list = "for f in /proc/self/fd/*; do readlink $f; done";
const viaSpawn = (
  mode: string,
): string => `import { createSandbox } from ${JSON.stringify(join(repoRoot, "dist/index.mjs"))};
const sb = await createSandbox({}, { cwd: ${JSON.stringify(dir)}, inheritedFds: ${JSON.stringify(mode)} });
const p = sb.spawn("sh", ["-c", ${JSON.stringify(list)}], { stdio: ["ignore", "pipe", "pipe"] });
let out = ""; p.stdout?.on("data", (d) => (out += d));
const exit = await p.exited;
console.log(JSON.stringify({ exit, out, failure: p.failure ?? null }));
await sb.close();`;
// The shim's command line is spawned by the caller: the fds must be closed before it is handed out.
const viaShim = (
  mode: string,
): string => `import { createSandboxManager } from ${JSON.stringify(join(repoRoot, "dist/index.mjs"))};
import { spawnSync } from "node:child_process";
const m = createSandboxManager();
await m.initialize({}, undefined, { cwd: ${JSON.stringify(dir)}, inheritedFds: ${JSON.stringify(mode)} });
try {
  const line = await m.wrapWithSandbox(${JSON.stringify(list)});
  const r = spawnSync(line, { shell: true, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  console.log(JSON.stringify({ exit: { status: r.status }, out: r.stdout + r.stderr }));
} catch (e) { console.log(String(e)); } finally { await m.reset(); }`;

const host = (mode: "close" | "refuse", via: "spawn" | "shim" = "spawn"): { status: number | null; out: string } => {
  const script = join(dir, `host-${mode}-${via}.mjs`);
  writeFileSync(script, via === "spawn" ? viaSpawn(mode) : viaShim(mode));
  const fd = openSync(join(dir, "secret.txt"), "w");
  try {
    // At fd 200: Node marks low inherited fds close-on-exec at start-up, not high ones (measured).
    const stdio: StdioOptions = ["ignore", "pipe", "pipe", ...Array<"ignore">(197).fill("ignore"), fd];
    const r = spawnSync(process.execPath, [script], { cwd: dir, stdio, encoding: "utf8", timeout: 20_000 });
    return { status: r.status, out: r.stdout + r.stderr };
  } finally {
    closeSync(fd);
  }
};

describe.skipIf(lacking(!supported, skipReason))("fds the host inherited without close-on-exec", () => {
  it("are closed by default: nothing inside points at the host's file", () => {
    const r = host("close");
    expect(r.status, r.out).toBe(0);
    const result = JSON.parse(r.out.trim().split("\n").pop()!) as { exit: { status: number }; out: string };
    expect(result.out).toContain("/dev/null"); // the loop did look (stdin is /dev/null)
    expect(result.out).not.toContain("secret.txt");
  });
  it("are closed before the SandboxManager shim hands out a command line (spawned by the caller, synchronously)", () => {
    const r = host("close", "shim");
    expect(r.status, r.out).toBe(0);
    const result = JSON.parse(r.out.trim().split("\n").pop()!) as { exit: { status: number }; out: string };
    expect(result.out).toContain("/dev/null");
    expect(result.out).not.toContain("secret.txt");
  });
  it('the shim with inheritedFds: "refuse" hands out no command line and names the fd', () => {
    const r = host("refuse", "shim");
    expect(r.out).toMatch(/file descriptors? (\d+, )*200(, \d+)* of this process would be inherited/);
    expect(r.out).not.toContain("secret.txt");
  });
  it('with inheritedFds: "refuse" the command does not run and the failure names the fd', () => {
    const r = host("refuse");
    expect(r.out).toMatch(/file descriptors? (\d+, )*200(, \d+)* of this process would be inherited/);
    expect(r.out).not.toContain("secret.txt");
  });
});
