/**
 * What dist/srt.cjs (entry.ts) runs for every command but `--version`: compiles the CLI's bundle
 * with V8's code cache and runs it. `import.meta.url` is the entry's URL here (scripts/build.mjs
 * defines it from CommonJS's __filename).
 */
import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { Script } from "node:vm";
import { commandNames } from "./command-names.js";
import { debugFromEnv } from "./io.js";
import { onMainThread } from "./thread.js";
import { readCodeCache, writeCodeCache, type CodeCacheKey } from "../runtime/code-cache.js";
import { locateStateDir } from "../runtime/state-dir.js";
import { steadyState } from "../runtime/v8-tuning.js";

/** A hash of dist/cli.cjs, set by scripts/build.mjs. */
declare const SRT_BUNDLE_BUILD: string;

export function loadCli(): void {
  const bundleUrl = new URL("./cli.cjs", import.meta.url);
  const bundle = fileURLToPath(bundleUrl);
  // The bundle is one function expression (scripts/build.mjs): CommonJS's wrapper, plus the stand-in
  // for import.meta.url (package-root.ts). It is ASCII (esbuild escapes everything else; the build
  // checks), so latin1 reads the same string. Read into a Buffer and copied out rather than decoded
  // as UTF-8 in C++: that path reads into a 640 KiB block of malloc's and frees it at once, which
  // makes glibc keep blocks that size in its heap from then on instead of returning them; measured,
  // 0.7 MiB of peak memory of `srt exec` and 1.1 MiB of `srt -- true` (issue 19).
  const source = readFileSync(bundle).toString("latin1");

  const uid = process.getuid?.() ?? -1;
  const cached = onMainThread() && uid >= 0 && process.env["SRT_CODE_CACHE"] !== "0";
  const key: CodeCacheKey = {
    build: SRT_BUNDLE_BUILD,
    node: process.version,
    v8: process.versions.v8,
    arch: process.arch,
    options: JSON.stringify([process.execArgv, process.env["NODE_OPTIONS"] ?? ""]),
    command: commandOf(process.argv[2]),
  };
  const stateDir = cached ? locateStateDir(process.env, uid) : "";
  const found = cached ? readCodeCache(stateDir, key, uid) : undefined;
  const script = new Script(source, { filename: bundle, ...(found?.data ? { cachedData: found.data } : {}) });
  if (cached && debugFromEnv(process.env))
    process.stderr.write(
      `srt: code cache (${key.command}): ${found?.data === undefined ? `none: ${found?.why}` : script.cachedDataRejected === true ? "rejected by V8" : "used"}\n`,
    );
  if (cached && (found?.data === undefined || script.cachedDataRejected === true)) {
    process.on("exit", (status) => {
      // Only a run that went through: a cache holds what was compiled, and a usage error compiles little.
      if (status !== 0) return;
      // V8 accepts data only under the flags it was compiled with: the run's lean flags (v8-tuning.ts) go first.
      steadyState();
      writeCodeCache(stateDir, key, uid, script.createCachedData());
    });
  }
  const module = { exports: {} };
  // The entry's own `require` (this code runs inside dist/srt.cjs, a CommonJS module), which resolves
  // from dist/ as the bundle's would: createRequire needs node:module, whose loading pulls in Node's
  // ES module loader and source-map support, 0.2 MiB of every run's peak memory (issue 19).
  (script.runInThisContext() as (...args: unknown[]) => void)(
    module.exports,
    require,
    module,
    bundle,
    dirname(bundle),
    bundleUrl.href,
  );
}

/**
 * One cache per command: each holds what its command compiled (a cache written by `srt --version`
 * would leave every sandboxed run compiling most of its code); any other first word is the run mode.
 */
function commandOf(first: string | undefined): string {
  if (first === undefined || ["--version", "-V", "--help", "-h", "help", "__cleanup"].includes(first)) return "info";
  return (commandNames as readonly string[]).includes(first) ? first : "run";
}
