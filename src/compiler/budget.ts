/**
 * Walks of the file system (glob expansion, mandatory-deny search) share one
 * budget per compile, in entries and in time. Running out is an error: a
 * truncated walk would silently leave matches unprotected.
 */
import type { Host } from "./host.js";

export interface WalkBudget {
  readonly maxEntries: number;
  readonly deadline: number;
  entries: number;
}

export interface BudgetLimits {
  /** Entries (files + directories) seen across all walks of one compile. */
  readonly maxEntries: number;
  /** Wall-clock milliseconds for all walks of one compile. */
  readonly maxMillis: number;
}

export const defaultLimits: BudgetLimits = { maxEntries: 2_000_000, maxMillis: 5_000 };

export const createBudget = (host: Host, limits: BudgetLimits): WalkBudget => ({
  maxEntries: limits.maxEntries,
  deadline: host.now() + limits.maxMillis,
  entries: 0,
});

/** Charges `n` entries; returns a reason when the budget is gone. */
export function charge(budget: WalkBudget, host: Host, n: number): string | undefined {
  budget.entries += n;
  if (budget.entries > budget.maxEntries) return `its budget of ${budget.maxEntries} entries`;
  // Checking the clock on every directory is cheap next to the readdir itself.
  if (host.now() > budget.deadline) return "its time budget";
  return undefined;
}
