/**
 * The run mode on "darwin", in-process. Where the real Node deps are used,
 * sandbox-exec and log do not exist on this Linux machine, which is exactly
 * the failure path: srt must refuse and run nothing. Where the fake spawn is
 * used, it checks the exit-status and report contract. No macOS run.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { CliIo } from "../../src/cli/io.js";
import { main } from "../../src/cli/main.js";
import { runMacosMode } from "../../src/cli/macos-run.js";
import { nodeMacosDeps } from "../../src/runtime/macos/index.js";
import { createFakeOs, createMemFs } from "./fake-os.js";

const base = realpathSync(mkdtempSync(join(tmpdir(), "srt-macos-cli-")));
afterAll(() => rmSync(base, { recursive: true, force: true }));

function darwinIo(cwd: string) {
  let err = "";
  let handler: ((s: NodeJS.Signals) => void) | undefined;
  const io: CliIo = {
    out: () => undefined,
    err: (t) => void (err += t),
    cwd,
    env: { HOME: join(base, "home"), PATH: "/usr/bin:/bin" },
    color: false,
    platform: "darwin",
    uid: process.getuid!(),
    gid: process.getgid!(),
    onSignals: (h) => ((handler = h), () => (handler = undefined)),
  };
  return { io, stderr: () => err, signal: (s: NodeJS.Signals) => handler?.(s) };
}

const project = join(base, "proj");
mkdirSync(project, { recursive: true });
mkdirSync(join(base, "home"), { recursive: true });
const options = (command: string[]) => ({ debug: false, quiet: false, command });

describe("srt -- cmd on darwin (not run on macOS)", () => {
  it("dispatches to the macOS runner, which refuses on this machine and runs nothing", async () => {
    const marker = join(project, "ran-1");
    const { io, stderr } = darwinIo(project);
    expect(await main(["--", "/usr/bin/touch", marker], io)).toBe(1);
    expect(stderr()).toContain(
      "srt: error SRT509: sandbox-exec runs on macOS only (this is linux); the command did not run",
    );
    expect(existsSync(marker)).toBe(false);
  });

  it("with the real Node deps: no sandbox-exec (ENOENT) is exit 1, the command does not run, nothing is left in TMPDIR", async () => {
    const marker = join(project, "ran-2");
    const tmp = join(base, "T");
    mkdirSync(tmp);
    const { io, stderr } = darwinIo(project);
    const status = await runMacosMode(options(["/usr/bin/touch", marker]), io, {
      ...nodeMacosDeps(),
      platform: "darwin",
      tmpdir: tmp,
    });
    expect(status).toBe(1);
    expect(stderr()).toMatch(
      /^srt: error SRT504: cannot start \/usr\/bin\/sandbox-exec: spawn \/usr\/bin\/sandbox-exec ENOENT; the command did not run/m,
    );
    expect(existsSync(marker)).toBe(false);
    expect(readdirSync(tmp)).toEqual([]);
  });

  it("passes the command's status through and prints the reports (not with -q)", async () => {
    for (const quiet of [false, true]) {
      const os = createFakeOs({
        fs: createMemFs({ dirs: ["/private/var/folders/x/T"], links: { "/var": "/private/var" } }),
      });
      const { io, stderr } = darwinIo(project);
      const done = runMacosMode({ ...options(["true"]), quiet }, io, os.deps);
      const cmd = await os.command;
      os.calls[0]!.proc.logRecord(
        "Sandbox: true(4242) deny(1) file-read-data /secret srt-test01 /filesystem/denyRead/0",
      );
      await new Promise((r) => setImmediate(r));
      cmd.proc.exit(7);
      expect(await done).toBe(7);
      expect(stderr()).toBe(
        quiet ? "" : "srt: the sandbox denied 1 operation: file-read-data /secret (/filesystem/denyRead/0)\n",
      );
    }
  });

  it("tlsTerminate with masked variables: no warning that they are not applied; a variable passed unmasked is said even with -q", async () => {
    const settings = join(base, "tls.json");
    writeFileSync(
      settings,
      JSON.stringify({
        network: { allowedDomains: ["api.example.com"], tlsTerminate: {} },
        credentials: {
          envVars: [
            { name: "API_TOKEN", mode: "mask" },
            { name: "DB_URL", mode: "mask", extract: "password=(\\S+)", onExtractNoMatch: "warn" },
          ],
        },
      }),
    );
    const os = createFakeOs({
      fs: createMemFs({ dirs: ["/private/var/folders/x/T"], links: { "/var": "/private/var" } }),
    });
    const { io, stderr } = darwinIo(project);
    const env = { ...io.env, API_TOKEN: "tok-Qz1", DB_URL: "postgres://db/app" };
    const done = runMacosMode({ ...options(["true"]), quiet: true, settings }, { ...io, env }, os.deps);
    const cmd = await os.command;
    expect(cmd.request.env["API_TOKEN"]).toMatch(/^srt_masked_[0-9a-f]{32}$/);
    expect(cmd.request.env["DB_URL"]).toBe("postgres://db/app");
    expect(cmd.request.env["SSL_CERT_FILE"]).toMatch(/\/srt-ca-bundle\.pem$/);
    cmd.proc.exit(0);
    expect(await done).toBe(0);
    expect(stderr()).toBe(
      "srt: warning: the extract pattern of /credentials/envVars/1 finds nothing in $DB_URL; it is passed unmasked\n",
    );
  });

  it("SIGINT to srt is forwarded to the command's group and makes the status 130 even if the command exits 0", async () => {
    const os = createFakeOs({ ignores: ["SIGINT"] });
    const { io, signal } = darwinIo(project);
    const done = runMacosMode(options(["sleep", "9"]), io, os.deps);
    const cmd = await os.command;
    signal("SIGINT");
    expect(os.kills).toEqual([{ pid: -4242, signal: "SIGINT" }]);
    cmd.proc.exit(0);
    expect(await done).toBe(130);
  });

  it("--control-fd is refused on macOS (usage, 2)", async () => {
    const { io, stderr } = darwinIo(project);
    expect(await runMacosMode({ ...options(["true"]), controlFd: 3 }, io, createFakeOs().deps)).toBe(2);
    expect(stderr()).toContain("--control-fd is implemented for Linux only");
  });

  it("srt exec stays Linux-only and says what to use instead", async () => {
    const { io, stderr } = darwinIo(project);
    expect(await main(["exec", "plan.json", "--", "true"], io)).toBe(1);
    expect(stderr()).toContain(
      "srt exec: error SRT509: plans are Linux-only (bwrap + seccomp; this is darwin); on macOS run `srt [options] -- command`",
    );
  });
});
