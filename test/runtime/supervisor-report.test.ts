/**
 * The supervisor's records as the runtime reads them (runtime/linux/supervisor.ts) and what a run
 * makes of them (wait.ts): a writable root the supervisor found reached through a link (roots.c)
 * is a run that did not happen, named as such (SRT552), even though no "ready" follows it.
 */
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { readSupervisorReport, type SupervisorReport } from "../../src/runtime/linux/supervisor.js";
import { supervisedResult } from "../../src/runtime/linux/wait.js";

/** One record: four NUL-terminated fields (native/srt-supervise/main.c status_record). */
const record = (...fields: string[]): Buffer => Buffer.from(fields.map((f) => `${f}\0`).join(""));

async function reportOf(...records: Buffer[]): Promise<SupervisorReport> {
  const stream = new PassThrough();
  const report = readSupervisorReport(stream, () => "2026-12-03T00:00:00.000Z");
  // Split across chunks as a pipe may deliver them.
  const all = Buffer.concat(records);
  stream.write(all.subarray(0, 5));
  stream.end(all.subarray(5));
  return report;
}

const clock = { after: () => () => undefined } as never;
const facts = { supervisor: { names: [], gitDirNames: [], paths: [], roots: [], landlock: true }, tmp: "/t" } as never;

describe("the supervisor's report", () => {
  it("a moved root is read with the supervisor's failure", async () => {
    const r = await reportOf(
      record("status", "moved", "", "/w/build"),
      record("status", "failed", "", "a writable root is not where the plan put it: Too many levels of symbolic links"),
    );
    expect(r).toMatchObject({ ready: false, moved: "/w/build" });
  });

  it("a run whose supervisor found a moved root failed with SRT552, naming the root", async () => {
    const r = await supervisedResult(
      { clock },
      Promise.resolve({ ready: false, moved: "/w/build", refusals: [], dropped: 0 }),
      0,
      facts,
    );
    expect(r).toMatchObject({ kind: "failed", code: "SRT552" });
    expect(JSON.stringify(r)).toContain("/w/build");
  });

  it("a supervisor that never ran (bwrap stopped at a mount): SRT504, bwrap's own message, no kernel advice", async () => {
    const r = await supervisedResult({ clock }, Promise.resolve({ ready: false, refusals: [], dropped: 0 }), 1, facts);
    expect(r).toMatchObject({ kind: "failed", code: "SRT504" });
    expect(JSON.stringify(r)).not.toContain("kernel feature");
  });

  it("a supervisor that did not start for another reason is still SRT511", async () => {
    const r = await supervisedResult(
      { clock },
      Promise.resolve({ ready: false, failed: "installing the seccomp filter", refusals: [], dropped: 0 }),
      0,
      facts,
    );
    expect(r).toMatchObject({ kind: "failed", code: "SRT511" });
  });
});
