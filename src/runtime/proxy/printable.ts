/** Raw client input in messages and logs: printable ASCII only, bounded. */
export const printable = (s: string): string => s.replace(/[^\x20-\x7e]/g, "?").slice(0, 255);
