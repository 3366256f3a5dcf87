/**
 * The per-run directory on the host: private (0700), holding the TMPDIR the
 * sandbox may write, the mode-000 file every read mask binds, the proxies'
 * unix sockets. It is hidden inside the sandbox
 * (a read-only tmpfs over it, the temp dir bound back on top).
 */
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Slots } from "../../backends/bwrap/index.js";

export interface RunDir {
  readonly path: string;
  readonly slots: Slots;
  readonly httpSocket: string;
  readonly socksSocket: string;
}

/** `registered` is told the directory's path the moment it exists, before anything is put in it. */
export function createRunDir(registered: (path: string) => void, base: string = tmpdir()): RunDir {
  const path = mkdtempSync(join(base, "srt-"));
  registered(path);
  chmodSync(path, 0o700);
  const tmp = join(path, "tmp");
  mkdirSync(tmp, { mode: 0o700 });
  const voidFile = join(path, "void");
  // Mode 000: opening it fails with EACCES for the owner too (the sandbox has no CAP_DAC_OVERRIDE).
  writeFileSync(voidFile, "", { mode: 0o000 });
  chmodSync(voidFile, 0o000);
  return {
    path,
    slots: { run: path, tmp, void: voidFile },
    httpSocket: join(path, "http.sock"),
    socksSocket: join(path, "socks.sock"),
  };
}
