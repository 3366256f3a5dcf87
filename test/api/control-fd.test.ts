/**
 * `srt --control-fd N` with the built CLI and the real sandbox: JSON lines on
 * the fd replace the network policy of the running command (refused before,
 * allowed after, and the reverse); an invalid line is reported and changes
 * nothing; fd < 3 or one that is not open is a usage error (2) and runs
 * nothing; the fd is not visible inside the sandbox — for a pipe and for the
 * socket that Node's stdio "pipe" hands over.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lacking } from "../support/requirements.js";
import { curl, privateTmp, srtBin, startWeb, skipReason, supported, type Web } from "./support.js";

interface Srt {
  readonly child: ChildProcess;
  readonly control: Writable;
  nextLine(): Promise<string>;
  /** Resolves once srt's stderr includes `text` (under -d it acknowledges each applied line there). */
  said(text: string): Promise<void>;
  readonly done: Promise<{ status: number | null; stdout: string; stderr: string }>;
}

/** Resolves when `text()` includes `needle`; rejects if the process ends first. `wakers` are called on every new output. */
function untilOutput(child: ChildProcess, text: () => string, needle: string, wakers: (() => void)[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (text().includes(needle)) resolve();
      else if (child.exitCode !== null || child.signalCode !== null)
        reject(new Error(`srt exited before saying ${JSON.stringify(needle)}: ${text()}`));
      else wakers.push(check);
    };
    check();
  });
}

function startSrt(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv, fd3: "pipe" | "ignore" = "pipe"): Srt {
  const child = spawn(process.execPath, [srtBin, ...args], { cwd, env, stdio: ["pipe", "pipe", "pipe", fd3] });
  let stdout = "";
  let stderr = "";
  let taken = 0;
  const waiters: (() => void)[] = [];
  const wake = (): void => {
    for (const w of waiters.splice(0)) w();
  };
  child.stdout!.setEncoding("utf8").on("data", (d: string) => {
    stdout += d;
    wake();
  });
  child.stderr!.setEncoding("utf8").on("data", (d: string) => {
    stderr += d;
    wake();
  });
  child.on("exit", wake);
  const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
  const done = new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on("close", (status) => (clearTimeout(timer), resolve({ status, stdout, stderr }))),
  );
  const nextLine = async (): Promise<string> => {
    for (;;) {
      const lines = stdout.split("\n");
      if (lines.length - 1 > taken) return lines[taken++]!;
      if (child.exitCode !== null) throw new Error(`srt exited; stdout ${JSON.stringify(stdout)} stderr ${stderr}`);
      await new Promise<void>((r) => waiters.push(r));
    }
  };
  const said = (text: string): Promise<void> => untilOutput(child, () => stderr, text, waiters);
  return { child, control: child.stdio[3] as Writable, nextLine, said, done };
}

describe.skipIf(lacking(!supported, skipReason))("srt --control-fd (real bwrap, built CLI)", () => {
  let a: Web;
  let tmp: ReturnType<typeof privateTmp>;
  let base: string;
  let work: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    tmp = privateTmp();
    base = mkdtempSync(join(tmp.dir, "..", "srtapi-work-"));
    // HOME beside the working directory: a working directory that is home itself is refused (SRT320).
    work = join(base, "project");
    mkdirSync(work);
    mkdirSync(join(base, "home"));
    env = { PATH: process.env["PATH"], HOME: join(base, "home"), TMPDIR: tmp.dir, NO_COLOR: "1" };
    a = await startWeb("from-a");
  });
  afterAll(async () => {
    await a.close();
    const left = tmp.leftovers();
    tmp.remove();
    rmSync(base, { recursive: true, force: true });
    expect(left).toEqual([]);
  });

  const allowA = (): string => JSON.stringify({ network: { allowedDomains: [`127.0.0.1:${a.port}`] } }) + "\n";

  it("refused before an update, allowed after it, refused again after the reverse; a bad line changes nothing", async () => {
    const script = `${curl(a.port)}; read x; ${curl(a.port)}; read x; ${curl(a.port)}; read x; ${curl(a.port)}`;
    // -d: srt acknowledges every line it applied on stderr; the command goes on only after that.
    const srt = startSrt(["-d", "--control-fd", "3", "-c", script], work, env);
    expect(await srt.nextLine()).toBe("403");
    srt.control.write(allowA());
    await srt.said("line 1 applied\n");
    srt.child.stdin!.write("go\n");
    expect(await srt.nextLine()).toBe("200");
    srt.control.write('{"network": {"allowedDomains": [1]}}\n{not json\n');
    await srt.said("line 3 ignored"); // lines are handled in order: both were read and dropped
    srt.child.stdin!.write("go\n");
    expect(await srt.nextLine()).toBe("200");
    srt.control.write("{}\n");
    await srt.said("line 4 applied\n");
    srt.child.stdin!.end("go\n");
    expect(await srt.nextLine()).toBe("403");
    const r = await srt.done;
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(
      /--control-fd 3: line 2 ignored, the policy in force stays: SRT\d+ \/network\/allowedDomains\/0/,
    );
    expect(r.stderr).toMatch(/--control-fd 3: line 3 ignored/);
    expect(r.stderr).toMatch(/blocked 2 network requests/);
  });

  it("srt exec takes it too; the fd (a socket here, a pipe below) is not visible inside the sandbox", async () => {
    const planFile = join(work, "plan.json");
    const compiled = spawn(process.execPath, [srtBin, "compile", "--target", "linux", "-o", planFile], {
      cwd: work,
      env,
      stdio: "ignore",
    });
    expect(await new Promise((r) => compiled.on("close", r))).toBe(0);
    const srt = startSrt(
      [
        "exec",
        planFile,
        "-d",
        "--control-fd",
        "3",
        "--",
        "/bin/sh",
        "-c",
        `read x; ls /proc/self/fd/ | tr '\\n' ' '; echo; [ -e /proc/$$/fd/3 ] && echo fd3-visible; ${curl(a.port)}`,
      ],
      work,
      env,
    );
    srt.control.write(allowA());
    await srt.said("line 1 applied\n");
    srt.child.stdin!.end("go\n");
    const r = await srt.done;
    expect(r.status, r.stderr).toBe(0);
    const [fds, ...rest] = r.stdout.split("\n");
    expect(fds!.trim().split(" ").sort()).toEqual(["0", "1", "2", "3"]); // 3 is ls's own directory handle
    expect(rest.join("\n")).toBe("200\n");
  });

  it("a pipe from the shell works, and is not visible inside either", async () => {
    const script = `read x; [ -e /proc/$$/fd/5 ] && echo fd5-visible; ${curl(a.port)}`;
    // The writer keeps the pipe open (cat of our stdin) until the test has its answer, as a
    // long-lived controller would; srt's stdin is our fd 3, written once srt acknowledged line 1.
    const child = spawn(
      "/bin/sh",
      [
        "-c",
        `{ echo '${allowA().trim()}'; cat >/dev/null; } | { "$0" "$1" -d --control-fd 5 -c "$2" 5<&0 <&3 3<&-; }`,
        process.execPath,
        srtBin,
        script,
      ],
      {
        cwd: work,
        env,
        stdio: ["pipe", "pipe", "pipe", "pipe"],
      },
    );
    let out = "";
    let err = "";
    const waiters: (() => void)[] = [];
    child.stdout!.setEncoding("utf8").on("data", (d: string) => ((out += d), waiters.splice(0).forEach((w) => w())));
    child.stderr!.setEncoding("utf8").on("data", (d: string) => ((err += d), waiters.splice(0).forEach((w) => w())));
    child.on("exit", () => waiters.splice(0).forEach((w) => w()));
    const status = new Promise((r) => child.on("close", r));
    await untilOutput(child, () => err, "--control-fd 5: line 1 applied\n", waiters);
    (child.stdio[3] as Writable).end("go\n");
    await untilOutput(child, () => out, "200\n", waiters);
    child.stdin!.end();
    expect(await status).toBe(0);
    expect(out).toBe("200\n");
  });

  it("fd < 3, a non-number, and a descriptor that is not open are usage errors (2); the command does not run", async () => {
    for (const [fd, message] of [
      ["2", /3 or more/],
      ["x", /3 or more/],
      ["200", /descriptor 200 is not open/],
    ] as const) {
      const srt = startSrt(["--control-fd", fd, "-c", "echo ran"], work, env, "ignore");
      const r = await srt.done;
      expect(r.status, fd).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(message);
    }
  });
});
