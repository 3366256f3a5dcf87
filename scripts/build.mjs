// Bundles the CLI into dist/srt.mjs plus lazily loaded chunks (dist/chunks/): everything a
// start-up needs is one module; the precompiled ajv validator and the schema are inlined.
// The banner gives CommonJS dependencies (micromatch, the ajv runtime) a `require`.
import { build } from "esbuild";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from "node:fs";
import { basename } from "node:path";
import { fileURLToPath } from "node:url";
import { execFileSync } from "node:child_process";
import { buildNative } from "./build-native.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const dist = `${root}dist`;
// Built aside and moved in (chunks first, the entry last, by rename): a CLI that is running — a
// test, a bench — while the build runs never sees a half-written or missing file.
//
// Then the chunks of earlier graphs go: dist/ is what `npm pack` publishes, and a rebuild after
// a change used to leave every old graph beside the new one (two `doctor` chunks in the
// tarball). Chunk names carry content hashes, so a rebuild of unchanged sources removes
// nothing. A CLI that started on the old entry only needs its chunks during its start-up
// (every lazy import is there), so only one started in the last moments of a build is affected.
const staging = mkdtempSync(`${root}.dist-`);
try {
  const chunks = await buildInto(staging);
  mkdirSync(`${dist}/chunks`, { recursive: true });
  for (const f of chunks) renameSync(`${staging}/chunks/${f}`, `${dist}/chunks/${f}`);
  chmodSync(`${staging}/srt.mjs`, 0o755);
  renameSync(`${staging}/srt.mjs`, `${dist}/srt.mjs`);
  for (const f of readdirSync(`${dist}/chunks`)) if (!chunks.has(f)) rmSync(`${dist}/chunks/${f}`, { force: true });
  // The library (src/index.ts): one module next to the CLI (wrap() finds srt.mjs beside it), types from tsc.
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

/** Builds the CLI into outdir; returns the names of the chunks (in outdir/chunks) its graph consists of. */
async function buildInto(outdir) {
  const { metafile } = await build({
    entryPoints: [`${root}src/cli/bin.ts`],
    // Code splitting: the proxies (and node:http, node:net, node:crypto, node:dns they pull in) live in
    // a chunk that only a run with network access loads — a few ms off every other start.
    outdir,
    entryNames: "srt",
    chunkNames: "chunks/[name]-[hash]",
    outExtension: { ".js": ".mjs" },
    splitting: true,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    // Minified: less for V8 to parse on every start (≈ -10 ms here); SRT_DEBUG prints stacks anyway.
    minify: true,
    legalComments: "none",
    // Every chunk gets the banner, and a start-up loads some 40 of them: `require` is made on its
    // first call (none of today's dependencies makes one), not by createRequire in each chunk.
    banner: {
      js: "#!/usr/bin/env node\nimport { createRequire as __srtCreateRequire } from 'node:module';\nlet __srtRequire;\nconst require = (id) => (__srtRequire ??= __srtCreateRequire(import.meta.url))(id);",
    },
    logLevel: "warning",
    metafile: true,
  });
  return new Set(
    Object.keys(metafile.outputs)
      .filter((p) => p.includes("/chunks/"))
      .map((p) => basename(p)),
  );
}
