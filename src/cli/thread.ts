/**
 * node:worker_threads, only when this may be a worker (issue 19): loading the module cost the main
 * thread ~1 ms of every start, to learn only that it is the main thread. Node loads it while it
 * starts every worker (internal/main/worker_thread), so a process whose list of loaded built-ins
 * lacks it runs on its main thread; otherwise the module is loaded (for nothing more) and asked.
 * A Node without that list is asked too. It runs only in dist/srt.cjs and dist/cli.cjs, CommonJS both,
 * hence `require` rather than createRequire: node:module pulls in Node's ES module loader (load-cli.ts).
 */
type WorkerThreads = typeof import("node:worker_threads");

/** The module when this thread may be a worker, undefined on the main thread. */
export function workerThreadsIfLoaded(): WorkerThreads | undefined {
  const loaded = (process as { moduleLoadList?: unknown }).moduleLoadList;
  if (Array.isArray(loaded) && !loaded.includes("NativeModule worker_threads")) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require("node:worker_threads") as WorkerThreads;
}

/** Whether this is the process's main thread. */
export const onMainThread = (): boolean => workerThreadsIfLoaded()?.isMainThread ?? true;
