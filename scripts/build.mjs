// Bundles the CLI into one ESM file (dist/srt.mjs). One file means one module
// to load at start-up; the precompiled ajv validator and the schema are inlined.
// The banner gives CommonJS dependencies (micromatch, the ajv runtime) a `require`.
import { build } from "esbuild";
import { chmodSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const outfile = `${root}dist/srt.mjs`;
await build({
  entryPoints: [`${root}src/cli/bin.ts`],
  outfile,
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
