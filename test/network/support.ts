/**
 * Shared by the in-sandbox network tests: which clients exist, the Node
 * client script the sandboxed command runs, running srt as root and as
 * `srt-test` (boxes from ../linux/support.ts), the violations file, and
 * finding bridge processes on the host. The servers are in servers.ts.
 *
 * srt must run asynchronously (spawn, not spawnSync): the servers live in
 * this process's event loop.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  runtimeArgs,
  skipReason,
  srtBin,
  srt,
  startSrt,
  supported,
  writeSettings,
  type Box,
  type Outcome,
  type SrtOptions,
} from "../linux/support.js";

export const hasTool = (name: string): boolean =>
  spawnSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" }).status === 0;

/** What a missing client costs: a skip that names the package. */
export const tools = {
  curl: hasTool("curl"),
  nc: hasTool("nc") && /OpenBSD/i.test(spawnSync("nc", ["-h"], { encoding: "utf8" }).stderr ?? ""),
  git: hasTool("git"),
  socat: hasTool("socat"),
  // ::1 on the host's lo (IPv6 can be disabled by the kernel command line or sysctl).
  ipv6: existsSync("/proc/net/if_inet6") && /^0{31}1 .* lo$/m.test(readFileSync("/proc/net/if_inet6", "utf8")),
} as const;

/** One line per missing client, for an explicit skipped entry in each file's report. */
export const missingTools: readonly string[] = [
  ...(tools.curl ? [] : ["curl is missing (apt-get install curl): its cases are skipped"]),
  ...(tools.nc ? [] : ["BSD nc is missing (apt-get install netcat-openbsd): its cases are skipped"]),
  ...(tools.git ? [] : ["git is missing (apt-get install git): the git case is skipped"]),
  ...(tools.ipv6 ? [] : ["no ::1 on the host's lo (IPv6 disabled): the IPv6 cases are skipped"]),
];

/** srt's bridges need socat; without it (or bwrap, or a built srt) nothing here can run. */
export const networkSupported = supported && tools.socat;
export const networkSkipReason = !supported
  ? skipReason
  : "socat is missing (apt-get install socat): srt cannot bridge its proxies into the sandbox";

/**
 * A directory every runner can read (0755), holding the Node client the
 * sandboxed command runs (`node <client> MODE …`, see client.mjs).
 */
export interface Scratch {
  readonly dir: string;
  readonly client: string;
  /** srt's entry for the runner: the repo's dist, or a readable copy when srt-test cannot read the checkout. */
  srtFor(box: Box): string;
  remove(): void;
}

export function makeScratch(): Scratch {
  const dir = mkdtempSync(join(tmpdir(), "srtnet-"));
  chmodSync(dir, 0o755);
  const client = join(dir, "client.mjs");
  writeFileSync(client, readFileSync(fileURLToPath(new URL("./client.mjs", import.meta.url))), { mode: 0o644 });
  let copy: string | undefined;
  return {
    dir,
    client,
    srtFor(box) {
      if (box.runner !== "srt-test") return srtBin;
      if (copy !== undefined) return copy;
      // CI may check the repository out somewhere srt-test cannot traverse; the bundle is self-contained
      // (dist/srt.cjs + dist/cli.cjs), so a world-readable copy runs the same bytes.
      const readable =
        spawnSync(
          "setpriv",
          [`--reuid=${box.uid}`, `--regid=${box.gid}`, "--init-groups", "--", "test", "-r", srtBin],
          { stdio: "ignore" },
        ).status === 0;
      if (readable) return (copy = srtBin);
      const dist = join(dir, "dist");
      cpSync(dirname(srtBin), dist, { recursive: true });
      spawnSync("chmod", ["-R", "a+rX", dist]);
      return (copy = join(dist, "srt.cjs"));
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A world-writable-free place for srt's violations file: the box root is owned by the runner. */
export const violationsPath = (box: Box): string => join(box.root, "violations.jsonl");

export function readViolations(box: Box): Record<string, unknown>[] {
  const p = violationsPath(box);
  if (!existsSync(p)) return [];
  return readFileSync(p, "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

export interface NetRun extends SrtOptions {
  /** srt options before the command (e.g. `-q`, `--violations F`). */
  readonly flags?: readonly string[];
}

const substitute = (scratch: Scratch, box: Box) => (argv: string[]) => {
  const bin = scratch.srtFor(box);
  return bin === srtBin ? argv : argv.map((a) => (a === srtBin ? bin : a));
};

/** `srt [flags] --settings <box settings> -c script` with `settings` written first. */
export function runScript(
  scratch: Scratch,
  box: Box,
  settings: unknown,
  script: string,
  o: NetRun = {},
): Promise<Outcome> {
  writeSettings(box, settings);
  return srt(box, [...runtimeArgs(box), ...(o.flags ?? []), "--settings", box.settings, "-c", script], {
    timeoutMs: 20_000,
    ...o,
    wrap: substitute(scratch, box),
  });
}

/** Like runScript, without waiting (for tests that watch or kill the run). */
export function startScript(
  scratch: Scratch,
  box: Box,
  settings: unknown,
  script: string,
  o: NetRun = {},
): ReturnType<typeof startSrt> {
  writeSettings(box, settings);
  return startSrt(box, [...runtimeArgs(box), ...(o.flags ?? []), "--settings", box.settings, "-c", script], {
    timeoutMs: 20_000,
    ...o,
    wrap: substitute(scratch, box),
  });
}

/** `key=value` lines the script printed (last one wins). */
export function values(out: Outcome): Record<string, string> {
  const r: Record<string, string> = {};
  for (const line of out.stdout.split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0 && /^[\w.-]+$/.test(line.slice(0, eq))) r[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return r;
}

/** For failure messages: everything the run printed. */
export const shown = (out: Outcome): string =>
  `status ${String(out.status)} signal ${String(out.signal)}\n--- stdout\n${out.stdout}\n--- stderr\n${out.stderr}`;

/**
 * Bridge processes (setpriv → nsenter → socat) whose command line names a
 * path below dir — the run dir's proxy sockets are in their arguments.
 * Returns `pid comm` entries.
 */
export function bridgeProcesses(dir: string): string[] {
  const found: string[] = [];
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const cmdline = readFileSync(`/proc/${e}/cmdline`, "utf8");
      const comm = readFileSync(`/proc/${e}/comm`, "utf8").trim();
      if (cmdline.includes(dir) && ["srt-bridge", "socat", "nsenter", "setpriv"].includes(comm))
        found.push(`${e} ${comm}`);
    } catch {
      // exited meanwhile
    }
  }
  return found;
}
