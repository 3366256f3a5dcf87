/**
 * dist/srt.cjs, the executable (package.json's "bin"): loads the CLI (dist/cli.cjs, bin.ts bundled into
 * one CommonJS file) through vm.Script with V8's code cache (runtime/code-cache.ts), so a start-up
 * neither parses nor compiles what the last one already compiled. Node 20 has no
 * module.enableCompileCache and ES modules take no cached data, hence CommonJS; one file, because
 * resolving, reading and linking some 40 lazily loaded ES chunks cost more than the code they saved
 * parsing (issue 19). The entry itself is CommonJS too (scripts/build.mjs): an ES module entry starts
 * Node's ES module loader (with fs/promises, readline and some 20 other built-ins) before any of srt
 * runs, ~30 ms of wall time and ~40 ms of CPU of every start. dist/srt.mjs, the entry of earlier
 * builds, stays as a wrapper that requires this file.
 *
 * Without a usable cache (the first run, another Node, SRT_CODE_CACHE=0, anything that fails its
 * checks) the bundle is compiled from source and runs the same; the cache is then written when the
 * process exits. A worker (the library's proxy thread runs this file) neither reads nor writes it.
 * `import.meta.url` is this file's URL here (scripts/build.mjs defines it from __filename).
 */
import pkg from "../../package.json" with { type: "json" };
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
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

// `srt --version` (as main.ts answers it) needs no CLI: reading and compiling it was most of its time.
if (process.argv.length === 3 && (process.argv[2] === "--version" || process.argv[2] === "-V"))
  process.stdout.write(`${pkg.version}\n`);
else loadCli();

function loadCli(): void {
  const bundleUrl = new URL("./cli.cjs", import.meta.url);
  const bundle = fileURLToPath(bundleUrl);
  // The bundle is one function expression (scripts/build.mjs): CommonJS's wrapper, plus the stand-in
  // for import.meta.url (package-root.ts).
  const source = readFileSync(bundle, "utf8");

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
  (script.runInThisContext() as (...args: unknown[]) => void)(
    module.exports,
    createRequire(bundle),
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
