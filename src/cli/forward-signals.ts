/**
 * Waits for a sandboxed run while SIGINT, SIGTERM and SIGHUP sent to srt go to
 * the command. The first signal srt received decides its exit status (128+N,
 * even if the command then exits 0: srt was interrupted — DESIGN §6), so it is
 * returned with the result.
 */
import type { CliIo } from "./io.js";

export async function awaitForwardingSignals<R>(
  io: CliIo,
  running: { forward(signal: NodeJS.Signals): void; readonly result: Promise<R> },
): Promise<{ result: R; received: NodeJS.Signals | undefined }> {
  let received: NodeJS.Signals | undefined;
  const stop = io.onSignals((signal) => {
    received ??= signal;
    running.forward(signal);
  });
  try {
    const result = await running.result;
    return { result, received };
  } finally {
    stop();
  }
}
