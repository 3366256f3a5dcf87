/** Entry point the expansion bench bundles: compile settings text on the real host. */
import { compileSettings, type CompileResult } from "../../src/compiler/index.js";
import { createNodeHost } from "../../src/runtime/node-host.js";

export function compileWithNodeHost(text: string, cwd: string): CompileResult {
  return compileSettings({
    text,
    file: `${cwd}/settings.json`,
    host: createNodeHost({ cwd }),
    target: "linux",
    limits: { maxEntries: 5_000_000, maxMillis: 60_000 },
  });
}
