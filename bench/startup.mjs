// CLI start-up: `srt check` on a small policy against bare `node -e 0`.
// Target (issue 2): at most +40 ms over bare Node.
import { fileURLToPath } from "node:url";
import { fmt, medianMs } from "./_measure.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const node = medianMs([process.execPath, "-e", "0"]);
const check = medianMs([process.execPath, `${root}dist/srt.mjs`, "check", `${root}examples/agent.json`], { cwd: root });
const version = medianMs([process.execPath, `${root}dist/srt.mjs`, "--version"]);
console.log(`node -e 0                  ${fmt(node)}`);
console.log(`srt --version              ${fmt(version)}  (+${fmt(version - node)}, ×${(version / node).toFixed(2)})`);
console.log(`srt check examples/agent   ${fmt(check)}  (+${fmt(check - node)}, ×${(check / node).toFixed(2)})  target ≤ +40 ms: ${check - node <= 40 ? "met" : "MISSED"}`);
