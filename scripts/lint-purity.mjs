// House rule: src/compiler and src/backends are pure. They may not import
// node:fs, node:child_process, node:os (or any node: module) nor read
// `process.*`; the machine reaches them only through the injected Host.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";

// --root DIR lints another tree (the test that proves this lint can fail uses it).
const rootArg = process.argv.indexOf("--root");
const root = rootArg > 0 ? `${process.argv[rootArg + 1].replace(/\/$/, "")}/` : fileURLToPath(new URL("..", import.meta.url));
const pureDirs = ["src/compiler", "src/backends"];
const rules = [
  { re: /\bfrom\s+["'](node:)?(fs|fs\/promises|child_process|os|net|dns|http|https|process|worker_threads|path|url)["']/, why: "imports a Node I/O module" },
  { re: /\bimport\s*\(\s*["']node:/, why: "dynamically imports a node: module" },
  { re: /\brequire\s*\(/, why: "uses require()" },
  { re: /(^|[^.\w])process\s*\.\s*\w/, why: "reads process.*" },
  { re: /\bglobalThis\s*\.\s*process\b/, why: "reads process via globalThis" },
];

const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const p = `${dir}/${name}`;
    if (statSync(p).isDirectory()) walk(p);
    else if (/\.(ts|mts|cts)$/.test(name) && !name.endsWith(".d.cts")) files.push(p);
  }
};
for (const d of pureDirs) {
  try { walk(`${root}${d}`); } catch { /* a missing folder has nothing to lint */ }
}
let problems = 0;
for (const file of files) {
  const lines = readFileSync(file, "utf8").split("\n");
  lines.forEach((line, i) => {
    const code = line.replace(/\/\/.*$/, "").replace(/^\s*\*.*$/, "");
    for (const { re, why } of rules) {
      if (re.test(code)) {
        console.error(`${file.slice(root.length)}:${i + 1}: ${why} — pure stages get the machine through the Host`);
        problems++;
      }
    }
  });
}
if (problems) process.exit(1);
console.log(`lint-purity: ${files.length} files in ${pureDirs.join(", ")} are pure`);
