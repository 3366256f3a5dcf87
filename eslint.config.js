// The linter in `npm test`. Type-aware rules where they catch real bugs
// (an unhandled promise, a switch that forgot a case); the purity rule of
// src/compiler and src/backends (HOUSE_STYLE §1) as import/global bans.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

const nodeIo = ["fs", "fs/promises", "child_process", "os", "net", "dns", "http", "https", "process", "worker_threads", "path", "url", "crypto", "tls"];
const impure = [...nodeIo, ...nodeIo.map((m) => `node:${m}`)];

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "**/*.gen.ts", "**/*.gen.cjs", "**/*.gen.d.cts", "coverage/**"] },
  {
    files: ["src/**/*.ts"],
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      "@typescript-eslint/switch-exhaustiveness-check": ["error", { considerDefaultExhaustiveForUnions: false, requireDefaultForNonUnion: false }],
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      // srt escapes control characters on purpose (SBPL strings, terminal output, punycode).
      "no-control-regex": "off",
    },
  },
  {
    // Pure stages: the machine reaches them only through the injected Host.
    files: ["src/compiler/**/*.ts", "src/backends/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", { paths: impure.map((name) => ({ name, message: "pure stages get the machine through the Host" })), patterns: [{ group: ["node:*"], message: "pure stages import no Node module" }] }],
      "no-restricted-globals": ["error", ...["process", "require", "Buffer", "performance", "setTimeout", "setInterval", "fetch"].map((name) => ({ name, message: "pure stages get the machine through the Host" }))],
      "no-restricted-properties": ["error", { object: "Date", property: "now", message: "pure stages take time from the Host" }, { object: "Math", property: "random", message: "pure stages are deterministic" }, { object: "globalThis", property: "process", message: "pure stages get the machine through the Host" }],
      "no-restricted-syntax": ["error", { selector: "NewExpression[callee.name='Date']", message: "pure stages take time from the Host" }, { selector: "ImportExpression", message: "pure stages import nothing dynamically" }],
    },
  },
);
