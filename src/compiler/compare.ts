/**
 * The order every sorted output uses (IR lists, diagnostics, profiles,
 * summaries): UTF-16 code units, the same on every machine. localeCompare is
 * not: it follows the user's locale, and goldens and compile-twice checks
 * would differ between machines.
 */
export const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
