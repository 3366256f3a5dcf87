// HOUSE_STYLE §1: src/compiler and src/backends are pure. The machine reaches
// them only through the injected Host: no Node I/O module, no process, no
// clock or randomness of their own. Kept in its own module so the test that
// proves the rule can fail (test/cli/lint-purity.test.ts) lints with exactly it.
const nodeIo = [
  "fs",
  "fs/promises",
  "child_process",
  "os",
  "net",
  "dns",
  "http",
  "https",
  "process",
  "worker_threads",
  "path",
  "url",
  "crypto",
  "tls",
  "module",
  "vm",
];
const why = "pure stages get the machine through the Host";

export const purityRules = {
  "no-restricted-imports": [
    "error",
    {
      paths: [...nodeIo, ...nodeIo.map((m) => `node:${m}`)].map((name) => ({ name, message: why })),
      patterns: [{ group: ["node:*"], message: "pure stages import no Node module" }],
    },
  ],
  "no-restricted-globals": [
    "error",
    ...["process", "require", "Buffer", "performance", "setTimeout", "setInterval", "setImmediate", "fetch"].map(
      (name) => ({ name, message: why }),
    ),
  ],
  "no-restricted-properties": [
    "error",
    { object: "Date", property: "now", message: "pure stages take time from the Host" },
    { object: "Math", property: "random", message: "pure stages are deterministic" },
    { object: "globalThis", property: "process", message: why },
  ],
  "no-restricted-syntax": [
    "error",
    { selector: "NewExpression[callee.name='Date']", message: "pure stages take time from the Host" },
    { selector: "ImportExpression", message: "pure stages import nothing dynamically" },
  ],
};

export const pureFiles = ["src/compiler/**/*.ts", "src/backends/**/*.ts"];
