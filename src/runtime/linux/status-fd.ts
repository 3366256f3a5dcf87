/**
 * Reads bwrap's `--json-status-fd` stream: first `{"child-pid": N}` once the
 * sandbox exists, later `{"exit-code": N}` when the command ended. A bwrap that
 * exits without ever reporting a child failed to set the sandbox up — that is
 * srt's runtime failure (exit 1), never the command's status.
 */
import type { Readable } from "node:stream";
import { onLines } from "../lines.js";

export interface StatusStream {
  /** Resolves with the sandbox's pid (on the host), or undefined if bwrap never started one. */
  readonly childPid: Promise<number | undefined>;
  /** The exit code bwrap reported for the command, when it did. */
  exitCode(): number | undefined;
}

export function readStatus(stream: Readable): StatusStream {
  let exit: number | undefined;
  let settle: (pid: number | undefined) => void = () => undefined;
  const childPid = new Promise<number | undefined>((resolve) => (settle = resolve));
  // Objects are written one per line by bwrap ≥ 0.5; parse whole lines only.
  onLines(stream, (line) => {
    try {
      const o = JSON.parse(line) as Record<string, unknown>;
      if (typeof o["child-pid"] === "number") settle(o["child-pid"]);
      if (typeof o["exit-code"] === "number") exit = o["exit-code"];
    } catch {
      // Not ours to interpret; a malformed record cannot start the command.
    }
  });
  const end = (): void => settle(undefined);
  stream.on("end", end);
  stream.on("close", end);
  stream.on("error", end);
  return { childPid, exitCode: () => exit };
}

/** bwrap's --info-fd carries one pretty-printed JSON object; resolves with its child-pid, or undefined at EOF without one. */
export function readInfoPid(stream: Readable): Promise<number | undefined> {
  return new Promise((resolve) => {
    let text = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      text += chunk;
      try {
        const o = JSON.parse(text) as Record<string, unknown>;
        if (typeof o["child-pid"] === "number") resolve(o["child-pid"]);
      } catch {
        // Not complete yet.
      }
    });
    for (const ev of ["end", "close", "error"]) stream.on(ev, () => resolve(undefined));
  });
}
