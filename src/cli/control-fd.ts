/**
 * `--control-fd N`: the caller writes JSON lines to fd N, each a complete
 * settings object; its network lists replace the running policy (the
 * proxies read it per request). A line that does not compile is reported and
 * dropped; the policy in force stays.
 *
 * The fd is reopened through /proc/self/fd/N: the new description is ours
 * (close-on-exec, non-blocking without touching the caller's description)
 * and N itself is closed at once, so the descriptor never reaches bwrap or
 * the sandboxed command. A socket (what Node's `stdio: "pipe"` hands over)
 * cannot be reopened that way: a `cat` started with it as stdin relays it into
 * a pipe of ours instead, and N is closed just the same.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, constants, createReadStream, fstatSync, openSync } from "node:fs";
import net from "node:net";
import type { Readable } from "node:stream";
import { compileSettings } from "../compiler/index.js";
import { onLines } from "../runtime/lines.js";
import { createNodeHost } from "../runtime/node-host.js";
import type { LivePolicy } from "../runtime/proxy/live-policy.js";
import type { CliIo } from "./io.js";

export interface ControlChannel {
  /** Starts reading; each valid line's network lists replace `live`'s, then `applied` is told its line number. */
  start(live: LivePolicy, applied?: (lineNo: number) => void): void;
  close(): void;
}

export type OpenedControl =
  { readonly ok: true; readonly channel: ControlChannel } | { readonly ok: false; readonly message: string };

export function openControlFd(fd: number, io: CliIo): OpenedControl {
  let kind: "fifo" | "file" | "socket";
  try {
    const st = fstatSync(fd);
    if (st.isFIFO()) kind = "fifo";
    else if (st.isFile()) kind = "file";
    else if (st.isSocket()) kind = "socket";
    else return { ok: false, message: `descriptor ${fd} is not a pipe, socket, FIFO or regular file` };
  } catch (e) {
    return { ok: false, message: `descriptor ${fd} is not open (${(e as NodeJS.ErrnoException).code ?? String(e)})` };
  }
  let stream: Readable;
  let relay: ChildProcess | undefined;
  if (kind === "socket") {
    relay = spawn("cat", [], { stdio: [fd, "pipe", "ignore"] });
    relay.on("error", () => undefined);
    stream = relay.stdout!;
  } else {
    let own: number;
    try {
      own = openSync(`/proc/self/fd/${fd}`, constants.O_RDONLY | (kind === "fifo" ? constants.O_NONBLOCK : 0));
    } catch (e) {
      return {
        ok: false,
        message: `descriptor ${fd} cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`,
      };
    }
    stream =
      kind === "fifo"
        ? new net.Socket({ fd: own, readable: true, writable: false })
        : createReadStream("", { fd: own });
  }
  closeSync(fd);
  stream.on("error", (e) => io.err(`srt: --control-fd ${fd}: ${e.message}; the policy in force stays\n`));
  return {
    ok: true,
    channel: {
      start(live, applied) {
        // A line is a settings object; one without an end in sight is not.
        onLines(
          stream,
          (line, lineNo) => applyLine(line, lineNo, fd, io, live, applied),
          1 << 20,
          (lineNo) => io.err(`srt: --control-fd ${fd}: line ${lineNo} is longer than 1 MiB; ignored\n`),
        );
      },
      close: () => {
        stream.destroy();
        relay?.kill("SIGKILL");
      },
    },
  };
}

function applyLine(
  line: string,
  n: number,
  fd: number,
  io: CliIo,
  live: LivePolicy,
  applied: ((lineNo: number) => void) | undefined,
): void {
  const result = compileSettings({
    text: line,
    file: `control-fd:${fd}`,
    host: createNodeHost({ cwd: io.cwd, env: io.env }),
    target: "linux",
  });
  if (result.policy === undefined) {
    const errors = result.diagnostics
      .filter((d) => d.severity === "error")
      .map((d) => `${d.code} ${d.pointer || "/"}: ${d.message}`);
    io.err(`srt: --control-fd ${fd}: line ${n} ignored, the policy in force stays: ${errors.join("; ")}\n`);
    return;
  }
  live.replace(result.policy.network);
  applied?.(n);
}
