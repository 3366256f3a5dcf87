// Types of eslint.purity.js for the test that imports it.
import type { Linter } from "eslint";
export declare const purityRules: Linter.RulesRecord;
export declare const pureFiles: string[];
