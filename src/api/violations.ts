/**
 * A sandbox's refusals, for the embedder: the recent ones (bounded, so a
 * command hammering a denied host costs bounded memory), an exact total, and
 * listeners told of each new one. A listener that throws is the embedder's
 * bug and must not turn a refusal into a crash of the proxy.
 */
import type { NetworkViolation } from "../runtime/proxy/index.js";
import type { WriteViolation } from "../runtime/linux/write-violations.js";

/** A refused network request, or a write the policy refused (reported when the run ends). */
export type SandboxViolation = NetworkViolation | WriteViolation;

export interface SandboxViolations {
  /** The most recent refusals, oldest first (at most `capacity`). */
  list(): readonly SandboxViolation[];
  /** Called with each new refusal; returns the unsubscribe. */
  subscribe(listener: (violation: SandboxViolation) => void): () => void;
  /** Empties list(); `total` keeps counting from where it was. */
  clear(): void;
  /** Every refusal since the sandbox was created. */
  readonly total: number;
}

export interface ViolationFeed extends SandboxViolations {
  readonly record: (v: SandboxViolation) => void;
}

export function createViolationFeed(capacity = 1000): ViolationFeed {
  let recent: SandboxViolation[] = [];
  let total = 0;
  const listeners = new Set<(v: SandboxViolation) => void>();
  return {
    record(v) {
      total++;
      recent.push(v);
      if (recent.length > capacity) recent = recent.slice(-capacity);
      for (const l of [...listeners]) {
        try {
          l(v);
        } catch {
          // See above.
        }
      }
    },
    list: () => [...recent],
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    clear() {
      recent = [];
    },
    get total() {
      return total;
    },
  };
}
