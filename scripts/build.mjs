// Bundles the CLI into dist/srt.mjs plus lazily loaded chunks (dist/chunks/): everything a
// start-up needs is one module; the precompiled ajv validator and the schema are inlined.
// The banner gives CommonJS dependencies (micromatch, the ajv runtime) a `require`.
import { build } from "esbuild";
import { chmodSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const outfile = `${root}dist/srt.mjs`;
rmSync(`${root}dist`, { recursive: true, force: true });
await build({
  entryPoints: [`${root}src/cli/bin.ts`],
  // Code splitting: the proxies (and node:http, node:net, node:crypto, node:dns they pull in) live in
  // a chunk that only a run with network access loads — a few ms off every other start.
  outdir: `${root}dist`,
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
chmodSync(outfile, 0o755);
