/** Node's file system for setup.ts (which takes it injected, for its unit tests). */
import { mkdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import type { TlsRunFs } from "./setup.js";

export const nodeTlsRunFs: TlsRunFs = {
  readFile(path) {
    try {
      return readFileSync(path, "utf8");
    } catch {
      return undefined;
    }
  },
  // wx: never through a file (or link) someone put there first.
  writeFile: (path, text, mode) => writeFileSync(path, text, { mode, flag: "wx" }),
  mkdir: (path, mode) => mkdirSync(path, { mode }),
  realpath(path) {
    try {
      return realpathSync(path);
    } catch {
      return path;
    }
  },
};
