/**
 * Reading a compiled plan file (srt compile --target linux -o plan.json), as
 * `srt exec` and `srt proxy --plan` do: at its real path without following a
 * final link, a regular file of bounded size that nothing swapped while it
 * was read, and a whole plan for this machine.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync, realpathSync, statSync } from "node:fs";
import { linuxPlanProblem, type LinuxPlan } from "../backends/bwrap/index.js";
import { ociPlanProblem, type OciPlan } from "../backends/oci/index.js";
import { hostSeccompArch } from "../runtime/host-arch.js";

/** Plans grow with the policy (one bind per protected path); far below this. */
const READ_LIMIT = 64 * 1024 * 1024;

/** The plan, or why it is refused. */
export function loadPlan(file: string): LinuxPlan | string {
  let value: unknown;
  try {
    value = JSON.parse(readRegularFile(file));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === "ENOENT"
      ? "no such file"
      : code !== undefined
        ? `cannot read it (${code})`
        : `not a JSON plan (${(e as Error).message})`;
  }
  const problem = linuxPlanProblem(value);
  if (problem !== undefined) return problem;
  const p = value as LinuxPlan;
  // An OCI plan (srt compile --target oci) runs under runc; its OCI part must be whole too.
  if ((p as Partial<OciPlan>).engine !== undefined) {
    const oci = ociPlanProblem(p as Partial<OciPlan>);
    if (oci !== undefined) return oci;
  }
  if (p.arch !== hostSeccompArch())
    return `plan is for ${String(p.arch)}, this machine is ${hostSeccompArch()}: recompile it here`;
  return p;
}

/**
 * The file's bytes, opened at its real path without following a final link,
 * refusing anything but a regular file; and the path must still name that
 * same file once it is read (nothing swapped it meanwhile).
 */
function readRegularFile(spelled: string): string {
  const fd = openSync(realpathSync(spelled), constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Error("not a regular file");
    if (st.size > READ_LIMIT) throw new Error(`larger than ${READ_LIMIT / 1048576} MiB`);
    const text = readFileSync(fd, "utf8");
    const now = statSync(spelled);
    if (now.dev !== st.dev || now.ino !== st.ino) throw new Error("the file was replaced while srt read it");
    return text;
  } finally {
    closeSync(fd);
  }
}
