/**
 * The per-run directory on the host, `<state>/runs/<id>/` (see
 * ../state-dir.ts): private (0700), holding the TMPDIR the sandbox may write,
 * the mode-000 file every read mask binds, the proxies' unix sockets and the
 * run's registration (placeholder-registry.ts). The whole state directory is
 * hidden inside every sandbox; only this run's temp dir is bound back.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Slots } from "../../backends/bwrap/index.js";

export interface RunDir {
  readonly id: string;
  readonly path: string;
  readonly slots: Slots;
  readonly httpSocket: string;
  readonly socksSocket: string;
}

/** A fresh run id: known before the directory exists, so the watchdog can be told first. */
export const newRunId = (): string => randomBytes(6).toString("hex");

/** `registered` is told the directory's path before it exists (the watchdog removes it if srt dies). */
export function createRunDir(state: string, id: string, registered: (path: string) => void): RunDir {
  const path = join(state, "runs", id);
  registered(path);
  // No -p and no EEXIST tolerance: a directory that is already there is not ours.
  mkdirSync(path, { mode: 0o700 });
  chmodSync(path, 0o700);
  const tmp = join(path, "tmp");
  mkdirSync(tmp, { mode: 0o700 });
  const voidFile = join(path, "void");
  // Mode 000: opening it fails with EACCES for the owner too (the sandbox has no CAP_DAC_OVERRIDE).
  writeFileSync(voidFile, "", { mode: 0o000 });
  chmodSync(voidFile, 0o000);
  return {
    id,
    path,
    slots: { tmp, void: voidFile },
    httpSocket: join(path, "http.sock"),
    socksSocket: join(path, "socks.sock"),
  };
}
