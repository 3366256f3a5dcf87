/**
 * The executable: the only place srt calls process.exit. Signal handling for
 * the run mode lives with the runner; here only the final status is set.
 */
import { isProxyThreadData } from "../runtime/linux/proxy-thread-messages.js";
import { debugFromEnv, exitStatus, processIo } from "./io.js";
import { main } from "./main.js";
import { workerThreadsIfLoaded } from "./thread.js";

function runCli(): void {
  let io: ReturnType<typeof processIo>;
  try {
    io = processIo();
  } catch (e) {
    // process.cwd() throws when the working directory was deleted: say so instead of a stack trace.
    process.stderr.write(
      `srt: cannot determine the working directory (${(e as NodeJS.ErrnoException).code ?? String(e)}); cd somewhere that exists\n`,
    );
    process.exit(exitStatus.usage);
  }
  main(process.argv.slice(2), io).then(
    (status) => process.exit(status),
    (error: unknown) => {
      // Usage problems are found before a command runs (args.ts); anything thrown is a bug.
      const e = error as { message?: string; stack?: string };
      process.stderr.write(`srt: internal error: ${e.message ?? String(error)}\n`);
      if (debugFromEnv(process.env)) process.stderr.write(`${e.stack ?? ""}\n`);
      process.exit(exitStatus.runtime);
    },
  );
}

// The library's proxy thread (src/runtime/linux/proxy-thread.ts) runs this bundle as a worker: it serves
// proxies, never the CLI. An error there ends the thread, and its owner refuses every request.
const threads = workerThreadsIfLoaded();
if (threads !== undefined && !threads.isMainThread && isProxyThreadData(threads.workerData))
  void import("../runtime/linux/proxy-thread-worker.js").then((m) => m.serveProxyThread());
else runCli();
