/**
 * A runtime failure with its catalog code (src/compiler/diagnostics.ts,
 * runtimeCatalog). Set-up steps throw it where they know what failed; the
 * runner's one catch turns any error into a failed result, so a step that
 * throws a plain Error still ends the run cleanly, under the generic code.
 */
import type { RuntimeCode } from "../compiler/diagnostics.js";

export class RuntimeFailure extends Error {
  constructor(
    readonly code: RuntimeCode,
    message: string,
  ) {
    super(message);
    this.name = "RuntimeFailure";
  }
}

export interface Failed {
  readonly kind: "failed";
  readonly code: RuntimeCode;
  readonly message: string;
}

export const failed = (code: RuntimeCode, message: string): Failed => ({ kind: "failed", code, message });

/** The failed result for what a set-up step threw: its own code, else `fallback`. */
export const failureOf = (e: unknown, fallback: RuntimeCode): Failed =>
  e instanceof RuntimeFailure
    ? failed(e.code, e.message)
    : failed(fallback, e instanceof Error ? e.message : String(e));

/** How the CLI prints one, in the shape of a compile diagnostic. */
export const failureLine = (f: { readonly code: RuntimeCode; readonly message: string }, prefix = "srt"): string =>
  `${prefix}: error ${f.code}: ${f.message}`;
