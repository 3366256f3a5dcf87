/**
 * Shared by the library tests: loopback HTTP servers (127.0.0.1 only, ports
 * the kernel picks), a private TMPDIR for this test file's process so "left
 * nothing behind" is checked on a directory nobody else uses, and helpers to
 * drive a sandboxed shell script line by line.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import http from "node:http";
import type net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SandboxedProcess } from "../../src/index.js";
import { repoRoot } from "../support/repo.js";

export const bwrapPath = ["/usr/bin/bwrap", "/usr/local/bin/bwrap"].find((p) => existsSync(p));
export const srtBin = join(repoRoot, "dist/srt.cjs");
export const hasCurl = spawnSync("sh", ["-c", "command -v curl"]).status === 0;
export const supported = process.platform === "linux" && bwrapPath !== undefined && hasCurl && existsSync(srtBin);
export const skipReason =
  process.platform !== "linux"
    ? `not Linux (${process.platform})`
    : bwrapPath === undefined
      ? "bwrap is not installed (apt-get install bubblewrap)"
      : !hasCurl
        ? "curl is missing (apt-get install curl)"
        : `${srtBin} is missing (npm run build)`;

export interface Web {
  readonly port: number;
  readonly seen: string[];
  close(): Promise<void>;
}

export async function startWeb(marker: string): Promise<Web> {
  const seen: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    seen.push(req.url ?? "");
    res.end(`${marker}\n`);
  });
  server.on("connection", (s: net.Socket) => (sockets.add(s), s.on("close", () => sockets.delete(s))));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as net.AddressInfo).port,
    seen,
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** This process's TMPDIR becomes a fresh directory: srt's state directory (srt-<uid>, with every run dir) lands there. */
export function privateTmp(): { dir: string; leftovers(): string[]; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), "srtapi-"));
  process.env["TMPDIR"] = dir;
  // Else srt's state directory would be $XDG_RUNTIME_DIR/srt, outside this directory.
  delete process.env["XDG_RUNTIME_DIR"];
  const uid = process.getuid?.() ?? 0;
  return {
    dir,
    // The state directory (srt-<uid>), its runs/, the CLI's finished code caches (code-cache/*.bin) and compile memos (compile-memo/*.json)
    // are meant to stay; the run directories in it are not, nor a cache written aside.
    leftovers: () => [
      ...readdirSync(dir).filter((n) => n !== `srt-${uid}`),
      ...(existsSync(join(dir, `srt-${uid}`))
        ? readdirSync(join(dir, `srt-${uid}`))
            .filter((n) => n !== "runs" && n !== "code-cache" && n !== "compile-memo")
            .map((n) => `srt-${uid}/${n}`)
        : []),
      ...(existsSync(join(dir, `srt-${uid}`, "code-cache"))
        ? readdirSync(join(dir, `srt-${uid}`, "code-cache"))
            .filter((n) => !/^[0-9a-f]{16}-[0-9a-f]{16}\.bin$/.test(n))
            .map((n) => `srt-${uid}/code-cache/${n}`)
        : []),
      ...(existsSync(join(dir, `srt-${uid}`, "compile-memo"))
        ? readdirSync(join(dir, `srt-${uid}`, "compile-memo"))
            .filter((n) => !/^[0-9a-f]{8}\.json$/.test(n))
            .map((n) => `srt-${uid}/compile-memo/${n}`)
        : []),
      ...(existsSync(join(dir, `srt-${uid}`, "runs"))
        ? readdirSync(join(dir, `srt-${uid}`, "runs")).map((n) => `srt-${uid}/runs/${n}`)
        : []),
    ],
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** curl through the sandbox's proxy (--noproxy '' so loopback targets use it too); prints the HTTP status. */
export const curl = (port: number, path = "/"): string =>
  `curl -sS --noproxy '' --max-time 5 -o /dev/null -w '%{http_code}\\n' http://127.0.0.1:${port}${path} 2>/dev/null || echo fail`;

export interface Collected {
  readonly status: number;
  readonly failure: string | undefined;
  readonly stdout: string;
  readonly stderr: string;
}

export async function collect(p: SandboxedProcess): Promise<Collected> {
  let stdout = "";
  let stderr = "";
  p.stdout?.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  p.stderr?.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const exit = await p.exited;
  await new Promise((r) => setImmediate(r));
  return { status: exit.status, failure: exit.failure, stdout, stderr };
}

/** Reads a piped stdout line by line; next() resolves with the next line. */
export function lineReader(p: SandboxedProcess): { next(timeoutMs?: number): Promise<string>; readonly all: string[] } {
  const all: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  let buf = "";
  let taken = 0;
  p.stdout?.setEncoding("utf8").on("data", (d: string) => {
    buf += d;
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      all.push(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
    while (waiting.length > 0 && taken < all.length) waiting.shift()!(all[taken++]!);
  });
  return {
    all,
    next(timeoutMs = 10_000) {
      if (taken < all.length) return Promise.resolve(all[taken++]!);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no line within ${timeoutMs} ms (so far ${JSON.stringify(all)})`)),
          timeoutMs,
        );
        waiting.push((l) => (clearTimeout(timer), resolve(l)));
      });
    },
  };
}
