/**
 * The real MacosDeps, from Node's own modules. Nothing here decides
 * anything; run.ts does. The proxy module is imported when a run starts, so
 * loading the CLI stays cheap.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  appendFileSync,
  closeSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import type { MacosDeps, Spawn } from "./deps.js";
import { createWatchdog } from "../watchdog.js";
import { locateTool, missingToolsMessage, nodeToolFs } from "../host-tools.js";
import { openViolationsFile } from "../violations-file.js";
import { monotonicMs } from "../monotonic.js";

export const nodeSpawn: Spawn = (file, args, r) =>
  spawn(file, [...args], { cwd: r.cwd, env: { ...r.env }, stdio: [...r.stdio], detached: r.detached });

export function nodeMacosDeps(): MacosDeps {
  return {
    platform: process.platform,
    tmpdir: tmpdir(),
    fs: {
      mkdtemp: (prefix) => mkdtempSync(prefix),
      mkdir: (path, mode) => mkdirSync(path, { mode }),
      writeNewFile: (path, text, mode) => writeFileSync(path, text, { mode, flag: "wx" }),
      // The --violations file: never through a symlink at its name, only to a regular file (violations-file.ts).
      appendFile: (path, text) => {
        const opened = openViolationsFile(path);
        if (!opened.ok) throw new Error(opened.message);
        try {
          appendFileSync(opened.fd, text);
        } finally {
          closeSync(opened.fd);
        }
      },
      removeTree: (path) => rmSync(path, { recursive: true, force: true }),
      realpath: (path) => realpathSync(path),
      readFile(path) {
        try {
          return readFileSync(path, "utf8");
        } catch {
          return undefined;
        }
      },
    },
    spawn: nodeSpawn,
    kill: (pid, signal) => void process.kill(pid, signal),
    proxies: async () => import("../proxy/index.js"),
    tls: async () => import("../proxy/tls/setup.js"),
    clock: {
      now: monotonicMs,
      after(ms, fn) {
        const t = setTimeout(fn, ms);
        return () => clearTimeout(t);
      },
    },
    // 48 random bits: concurrent runs never read (or report) each other's denials.
    tag: () => `srt-${randomBytes(6).toString("hex")}`,
    startWatchdog: () => {
      // The watchdog runs outside the sandbox: its shell comes from root-owned system directories only.
      const sh = locateTool("sh", nodeToolFs);
      if (!sh.ok) throw new Error(missingToolsMessage([sh], "a POSIX shell as /bin/sh"));
      return createWatchdog(nodeSpawn, [], sh.tool.path);
    },
  };
}
