// The linter in `npm test`: type-aware rules where they catch real bugs (an
// unhandled promise, a switch that forgot a case), and the purity rule of
// src/compiler and src/backends (eslint.purity.js).
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import { pureFiles, purityRules } from "./eslint.purity.js";

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "**/*.gen.ts", "**/*.gen.cjs", "**/*.gen.d.cts", "coverage/**"] },
  {
    files: ["src/**/*.ts"],
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      "@typescript-eslint/switch-exhaustiveness-check": [
        "error",
        { considerDefaultExhaustiveForUnions: false, requireDefaultForNonUnion: false },
      ],
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      // A list in a template prints comma-joined: the origin lists became arrays, and a message must say how to join them.
      "@typescript-eslint/restrict-template-expressions": [
        "error",
        {
          allowNumber: true,
          allowBoolean: true,
          allowNullish: true,
          allowAny: false,
          allowNever: false,
          allowRegExp: true,
        },
      ],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      // srt escapes control characters on purpose (SBPL strings, terminal output, punycode).
      "no-control-regex": "off",
    },
  },
  { files: pureFiles, rules: purityRules },
);
