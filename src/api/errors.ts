import type { Diagnostic } from "../compiler/index.js";

/** The settings given to createSandbox() do not compile; `diagnostics` says why (codes from srt's catalog). */
export class SandboxConfigError extends Error {
  readonly diagnostics: readonly Diagnostic[];
  constructor(diagnostics: readonly Diagnostic[]) {
    const errors = diagnostics.filter((d) => d.severity === "error");
    super(`invalid sandbox settings: ${errors.map((d) => `${d.code} ${d.pointer || "/"}: ${d.message}`).join("; ")}`);
    this.name = "SandboxConfigError";
    this.diagnostics = diagnostics;
  }
}
