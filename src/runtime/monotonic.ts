/**
 * A monotonic clock in milliseconds (any origin: only differences mean anything). Not
 * `performance.now()`: Node's `performance` global loads perf_hooks and its ten internal modules
 * on first use, ~2 ms of a start-up (issue 19); process.hrtime is there from the start.
 */
export const monotonicMs = (): number => Number(process.hrtime.bigint()) / 1e6;
