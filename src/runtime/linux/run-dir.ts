/**
 * The per-run directory on the host, `<state>/runs/<id>/` (see
 * ../state-dir.ts): private (0700), holding the TMPDIR the sandbox may write,
 * the mode-000 file every read mask binds, the proxies' unix sockets and the
 * run's registration (placeholder-registry.ts). The whole state directory is
 * hidden inside every sandbox; only this run's temp dir is bound back.
 */
import { join } from "node:path";
import type { Slots } from "../../backends/bwrap/index.js";
import type { LinuxFs } from "./deps.js";

export interface RunDir {
  readonly id: string;
  readonly path: string;
  readonly slots: Slots;
  readonly httpSocket: string;
  readonly socksSocket: string;
}

/**
 * `id` is known before the directory exists (LinuxDeps.runId), and `registered`
 * is told the path first: the watchdog removes it if srt dies.
 */
export function createRunDir(
  fs: Pick<LinuxFs, "mkdir" | "chmod" | "writeFile">,
  state: string,
  id: string,
  registered: (path: string) => void,
): RunDir {
  const path = join(state, "runs", id);
  registered(path);
  // No -p and no EEXIST tolerance: a directory that is already there is not ours.
  fs.mkdir(path, 0o700);
  fs.chmod(path, 0o700);
  const tmp = join(path, "tmp");
  fs.mkdir(tmp, 0o700);
  const voidFile = join(path, "void");
  // Mode 000: opening it fails with EACCES for the owner too (the sandbox has no CAP_DAC_OVERRIDE).
  fs.writeFile(voidFile, "", 0o000);
  fs.chmod(voidFile, 0o000);
  return {
    id,
    path,
    slots: { tmp, void: voidFile },
    httpSocket: join(path, "http.sock"),
    socksSocket: join(path, "socks.sock"),
  };
}
