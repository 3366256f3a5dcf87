/**
 * dist/srt.cjs, the executable (package.json's "bin"): loads the CLI (dist/cli.cjs, bin.ts bundled into
 * one CommonJS file) through vm.Script with V8's code cache (runtime/code-cache.ts), so a start-up
 * neither parses nor compiles what the last one already compiled. Node 20 has no
 * module.enableCompileCache and ES modules take no cached data, hence CommonJS; one file, because
 * resolving, reading and linking some 40 lazily loaded ES chunks cost more than the code they saved
 * parsing (issue 19). The entry itself is CommonJS too (scripts/build.mjs): an ES module entry starts
 * Node's ES module loader (with fs/promises, readline and some 15 other built-ins) before any of srt
 * runs: measured, ~6 ms of CPU, ~7 ms of wall time and 0.5 MiB of peak memory of each `srt -- true`
 * (medians of 61 interleaved runs, load 3.4). dist/srt.mjs, the entry of earlier builds, stays as a
 * wrapper that requires this file.
 *
 * Without a usable cache (the first run, another Node, SRT_CODE_CACHE=0, anything that fails its
 * checks) the bundle is compiled from source and runs the same; the cache is then written when the
 * process exits. A worker (the library's proxy thread runs this file) neither reads nor writes it.
 */
import pkg from "../../package.json" with { type: "json" };

// `srt --version` (as main.ts answers it) needs no CLI: reading and compiling it was most of its time.
// Nor the modules that load it (node:vm, node:zlib, node:v8 and the streams they pull in), hence the
// require(): esbuild turns it into a call that runs load-cli.ts (and loads its built-ins) only here.
if (process.argv.length === 3 && (process.argv[2] === "--version" || process.argv[2] === "-V"))
  process.stdout.write(`${pkg.version}\n`);
// eslint-disable-next-line @typescript-eslint/no-require-imports
else (require("./load-cli.js") as typeof import("./load-cli.js")).loadCli();
