// Bundles the CLI into dist/cli.cjs, one CommonJS file, and its entry dist/srt.cjs (package.json's
// "bin"), which compiles that file through vm.Script with V8's code cache (src/cli/entry.ts,
// src/runtime/code-cache.ts); the precompiled ajv validator and the schema are inlined. dist/srt.mjs,
// the entry of earlier builds, is a wrapper that requires srt.cjs.
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { execFileSync } from "node:child_process";
import { buildNative } from "./build-native.mjs";

/** Replaced in dist/cli.cjs by the hash of the bundle (32 hex digits, the placeholder's length). */
const buildPlaceholder = "srt-cli-build-placeholder-000000";

const root = fileURLToPath(new URL("..", import.meta.url));
const dist = `${root}dist`;
// Built aside and moved in (the bundle first, the entry last, by rename): a CLI that is running — a
// test, a bench — while the build runs never sees a half-written or missing file. The entry names the
// bundle's hash, so an entry that started on the old bundle cannot take the new one's code cache.
const staging = mkdtempSync(`${root}.dist-`);
try {
  await buildCli(staging);
  mkdirSync(dist, { recursive: true });
  renameSync(`${staging}/cli.cjs`, `${dist}/cli.cjs`);
  for (const entry of ["srt.cjs", "srt.mjs"]) {
    chmodSync(`${staging}/${entry}`, 0o755);
    renameSync(`${staging}/${entry}`, `${dist}/${entry}`);
  }
  // The lazily loaded ES chunks of earlier builds (the CLI was split into some 80 of them).
  rmSync(`${dist}/chunks`, { recursive: true, force: true });
  // The library (src/index.ts): one module next to the CLI (wrap() finds srt.cjs beside it), types from tsc.
  await build({
    entryPoints: [`${root}src/index.ts`],
    outfile: `${staging}/index.mjs`,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    banner: {
      js: "import { createRequire as __srtCreateRequire } from 'node:module';\nconst require = __srtCreateRequire(import.meta.url);",
    },
    logLevel: "warning",
  });
  renameSync(`${staging}/index.mjs`, `${dist}/index.mjs`);
  // Declarations of modules that no longer exist would be published too: the folder is replaced whole.
  execFileSync(
    process.execPath,
    [`${root}node_modules/typescript/bin/tsc`, "-p", `${root}tsconfig.types.json`, "--outDir", `${staging}/types`],
    { stdio: "inherit" },
  );
  rmSync(`${dist}/types`, { recursive: true, force: true });
  renameSync(`${staging}/types`, `${dist}/types`);
  // The native helpers (native/<name>/*.c → dist/native/<name>), from source with the system compiler.
  buildNative();
} finally {
  rmSync(staging, { recursive: true, force: true });
}

/** Builds the CLI into outdir: cli.cjs (everything), srt.cjs (the entry that loads it) and srt.mjs. */
async function buildCli(outdir) {
  await build({
    entryPoints: [`${root}src/cli/bin.ts`],
    outfile: `${outdir}/cli.cjs`,
    bundle: true,
    platform: "node",
    // CommonJS: V8's code cache takes a vm.Script, not an ES module (Node 20 has no module.enableCompileCache).
    format: "cjs",
    target: "node20",
    // The lazy import()s of commands and runtime parts stay lazy (esbuild runs a module's body on its
    // first import) but need no loader: one file, nothing to resolve (dist/srt.cjs gives `require`).
    supported: { "dynamic-import": false },
    // package-root.ts finds srt's package from its own file: load-cli.ts passes the bundle's URL.
    // SRT_CLI_BUILD names this build's compiler for the compile memo (src/runtime/compile-memo-store.ts):
    // a placeholder here, the hash of the bundle that holds it below.
    define: { "import.meta.url": "__srtUrl", SRT_CLI_BUILD: JSON.stringify(buildPlaceholder) },
    // The file is the function load-cli.ts compiles (CommonJS's wrapper, written here rather than
    // concatenated at every start: one copy of the source less in memory).
    banner: { js: "(function (exports, require, module, __filename, __dirname, __srtUrl) {" },
    footer: { js: "})" },
    // Minified: less for V8 to parse when there is no cache (≈ -10 ms here); SRT_DEBUG prints stacks anyway.
    minify: true,
    legalComments: "none",
    logLevel: "warning",
  });
  // src/cli/load-cli.ts reads the bundle as latin1, which is UTF-8 only for ASCII: esbuild's default
  // charset escapes everything else, and a bundle that is not ASCII must not build.
  if (!/^[\x00-\x7f]*$/.test(readFileSync(`${outdir}/cli.cjs`, "latin1")))
    throw new Error("dist/cli.cjs is not ASCII: src/cli/load-cli.ts reads it as latin1");
  // The build's name is the hash of the bundle with the placeholder in it: the same sources build the
  // same bytes, and any other compiler another name, so no memo outlives the code that wrote it.
  const bundled = readFileSync(`${outdir}/cli.cjs`, "latin1");
  const cliBuild = createHash("sha256").update(bundled).digest("hex").slice(0, buildPlaceholder.length);
  writeFileSync(`${outdir}/cli.cjs`, bundled.replaceAll(buildPlaceholder, cliBuild), "latin1");
  const hash = createHash("sha256")
    .update(readFileSync(`${outdir}/cli.cjs`))
    .digest("hex")
    .slice(0, 16);
  await build({
    entryPoints: [`${root}src/cli/entry.ts`],
    outfile: `${outdir}/srt.cjs`,
    bundle: true,
    platform: "node",
    // CommonJS: an ES module entry starts Node's ES module loader first (entry.ts).
    format: "cjs",
    target: "node20",
    // The entry's (and thread.ts's) import.meta.url, from CommonJS's __filename: node:url is loaded anyway.
    define: { SRT_BUNDLE_BUILD: JSON.stringify(hash), "import.meta.url": "__srtEntryUrl" },
    minify: true,
    legalComments: "none",
    banner: {
      js: '#!/usr/bin/env node\n"use strict";\nconst __srtEntryUrl = require("node:url").pathToFileURL(__filename).href;',
    },
    logLevel: "warning",
  });
  // For whoever runs dist/srt.mjs (the entry of earlier builds: scripts, docs, a library's srtPath).
  writeFileSync(
    `${outdir}/srt.mjs`,
    [
      "#!/usr/bin/env node",
      "// srt's entry of earlier builds: the executable is dist/srt.cjs (a CommonJS entry starts faster).",
      'import { createRequire } from "node:module";',
      'createRequire(import.meta.url)("./srt.cjs");',
      "",
    ].join("\n"),
  );
}
