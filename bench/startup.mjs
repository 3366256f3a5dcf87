// CLI start-up: `srt check` on a small policy against bare `node -e 0`.
// Target (issue 2): at most +40 ms over bare Node.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { fmt, medianMs } from "./_measure.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const node = medianMs([process.execPath, "-e", "0"]);
// A small project directory as cwd: this measures start-up, not a walk of a big tree
// (bench/expansion.mjs measures walks).
const cwd = mkdtempSync(join(tmpdir(), "srt-bench-startup-"));
const check = medianMs([process.execPath, `${root}dist/srt.mjs`, "check", `${root}examples/agent.json`], { cwd });
const version = medianMs([process.execPath, `${root}dist/srt.mjs`, "--version"]);
console.log(`node -e 0                  ${fmt(node)}`);
console.log(`srt --version              ${fmt(version)}  (+${fmt(version - node)}, ×${(version / node).toFixed(2)})`);
console.log(`srt check examples/agent   ${fmt(check)}  (+${fmt(check - node)}, ×${(check / node).toFixed(2)})  target ≤ +40 ms: ${check - node <= 40 ? "met" : "MISSED"}`);
