// Bundles the CLI into dist/srt.mjs plus lazily loaded chunks (dist/chunks/): everything a
// start-up needs is one module; the precompiled ajv validator and the schema are inlined.
// The banner gives CommonJS dependencies (micromatch, the ajv runtime) a `require`.
import { build } from "esbuild";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { execFileSync } from "node:child_process";

const root = fileURLToPath(new URL("..", import.meta.url));
const dist = `${root}dist`;
// Built aside and moved in (chunks first, the entry last, by rename): a CLI that is running — a
// test, a bench — while the build runs never sees a half-written or missing file. Chunk names
// carry content hashes, so old chunks a running CLI may still import lazily are left in place.
const staging = mkdtempSync(`${root}.dist-`);
try {
  await buildInto(staging);
  mkdirSync(`${dist}/chunks`, { recursive: true });
  for (const f of readdirSync(`${staging}/chunks`)) renameSync(`${staging}/chunks/${f}`, `${dist}/chunks/${f}`);
  chmodSync(`${staging}/srt.mjs`, 0o755);
  renameSync(`${staging}/srt.mjs`, `${dist}/srt.mjs`);
  // The library (src/index.ts): one module next to the CLI (wrap() finds srt.mjs beside it), types from tsc.
  await build({ entryPoints: [`${root}src/index.ts`], outfile: `${staging}/index.mjs`, bundle: true, platform: "node", format: "esm", target: "node20", banner: { js: "import { createRequire as __srtCreateRequire } from 'node:module';\nconst require = __srtCreateRequire(import.meta.url);" }, logLevel: "warning" });
  renameSync(`${staging}/index.mjs`, `${dist}/index.mjs`);
  execFileSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, "-p", `${root}tsconfig.types.json`], { stdio: "inherit" });
} finally {
  rmSync(staging, { recursive: true, force: true });
}

async function buildInto(outdir) {
  await build({
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
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __srtCreateRequire } from 'node:module';\nconst require = __srtCreateRequire(import.meta.url);",
  },
  logLevel: "warning",
  });
}
