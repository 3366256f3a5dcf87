/**
 * Can this machine sandbox? Each check says what it found and, when it
 * fails, how to fix it. Used by `srt doctor` and after a sandbox failed to
 * start. A failed check never leads to running anything unsandboxed.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { seccompArchOf } from "../../backends/seccomp/index.js";
import { locateStateDir, stateDirProblem } from "../state-dir.js";
import { nodeLinuxDeps, nodeLinuxFs } from "./node-deps.js";
import { checkLimits } from "./limits/report.js";
import type { LimitsRuntime } from "./limits/engine.js";
import { locateTool, nodeToolFs, systemToolDirs, type ToolFs, type ToolLookup } from "../host-tools.js";
import { runTrialSandbox, type TrialInput } from "./trial-sandbox.js";
import { findNative, nativeDir } from "../native.js";

export interface Check {
  readonly name: string;
  readonly ok: boolean;
  /** "error": srt cannot run commands; "warning": some policies cannot run (e.g. network). */
  readonly severity: "error" | "warning";
  readonly detail: string;
  readonly fix?: string;
}

const MIN_BWRAP = [0, 5, 0] as const;

const readSysctl = (path: string): string | undefined => {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return undefined;
  }
};

/** Where a tool was found (and what it resolves to), or why not: doctor shows exactly what a run would start. */
const foundText = (l: ToolLookup): string =>
  l.ok
    ? `${l.tool.path}${l.tool.real === l.tool.path ? "" : ` -> ${l.tool.real}`}`
    : `not found in ${systemToolDirs.join(", ")}${l.rejected.length > 0 ? `; ignored ${l.rejected.join("; ")}` : ""}`;

export interface PreflightEnv {
  readonly platform: NodeJS.Platform;
  readonly arch: string;
  readonly uid: number;
  readonly gid?: number;
  /** srt's state directory (locateStateDir); default: located from `env`. */
  readonly stateDir?: string;
  /** The environment a run would get; default: this process's. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** As for a run: `srt __cleanup`, for the test sandbox's watchdog. */
  readonly cleanupCommand?: readonly string[];
  /** The engine whose limits are checked (doctor --runtime); default bwrap. */
  readonly runtime?: LimitsRuntime;
}

export async function preflight(env: PreflightEnv, fs: ToolFs = nodeToolFs): Promise<Check[]> {
  const checks: Check[] = [];
  const add = (c: Check): number => checks.push(c);
  if (env.platform !== "linux") {
    add({ name: "platform", ok: false, severity: "error", detail: `${env.platform}: the Linux runtime needs Linux` });
    return checks;
  }
  const arch = seccompArchOf(env.arch);
  add(
    arch
      ? { name: "architecture", ok: true, severity: "error", detail: `${env.arch} (seccomp ${arch})` }
      : {
          name: "architecture",
          ok: false,
          severity: "error",
          detail: `${env.arch}: srt's seccomp filter exists for x86_64 and aarch64 only`,
        },
  );

  const status = readSysctl("/proc/self/status") ?? "";
  const seccompLine = /^Seccomp:\s*(\d)/m.exec(status);
  add(
    seccompLine
      ? { name: "seccomp", ok: true, severity: "error", detail: "the kernel supports seccomp filters" }
      : {
          name: "seccomp",
          ok: false,
          severity: "error",
          detail: "/proc/self/status has no Seccomp line: the kernel was built without CONFIG_SECCOMP_FILTER",
          fix: "use a kernel with seccomp filter support",
        },
  );

  const relay = findNative("srt-relay");
  add(
    relay !== undefined
      ? {
          name: "native relay",
          ok: true,
          severity: "warning",
          detail: `${relay} copies proxy tunnels; a run's own tunnels are copied by srt-bridge itself (one hop) when it is built`,
        }
      : {
          name: "native relay",
          ok: false,
          severity: "warning",
          detail: `${nativeDir()}/srt-relay is not built: proxy tunnels are copied by Node (slower, more CPU)`,
          fix: "build it from source with `npm run build` (needs a C compiler: apt-get install gcc libc6-dev)",
        },
  );
  const bridge = findNative("srt-bridge");
  add(
    bridge !== undefined
      ? {
          name: "proxy bridge",
          ok: true,
          severity: "warning",
          detail: `${bridge} bridges the sandbox's proxy ports (no socat needed) and, with srt-relay built, copies the run's tunnels itself (one hop)`,
        }
      : {
          name: "proxy bridge",
          ok: false,
          severity: "warning",
          detail: `${nativeDir()}/srt-bridge is not built: network runs fall back to socat (setpriv, nsenter, socat; slower start)`,
          fix: "build it from source with `npm run build` (needs a C compiler: apt-get install gcc libc6-dev)",
        },
  );
  // Before the test sandbox, which creates the directory if it is missing.
  if (env.stateDir !== undefined) add(stateDirCheck(env.stateDir, env.uid));
  const sh = locateTool("sh", fs);
  // As root, a run starts bwrap under unshare (spawn-bwrap.ts): the test sandbox does too.
  const unshare = env.uid === 0 ? locateTool("unshare", fs) : undefined;
  add({
    name: "sh",
    ok: sh.ok,
    severity: "error",
    detail: `${foundText(sh)} (the watchdog that cleans up after a killed srt)`,
    ...(sh.ok ? {} : { fix: "install a POSIX shell as /bin/sh, owned by root" }),
  });
  const found = locateTool("bwrap", fs);
  if (!found.ok) {
    add({
      name: "bubblewrap",
      ok: false,
      severity: "error",
      detail: `bwrap ${foundText(found)} (srt never runs host programs from PATH)`,
      fix: "srt doctor --fix (or apt-get install bubblewrap; dnf install bubblewrap)",
    });
  } else {
    const bwrap = found.tool.path;
    const v = spawnSync(bwrap, ["--version"], { encoding: "utf8", timeout: 5000 });
    const m = /(\d+)\.(\d+)\.(\d+)/.exec(v.stdout ?? "");
    const version = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
    const newEnough = version !== undefined && compare(version, MIN_BWRAP) >= 0;
    add({
      name: "bubblewrap",
      ok: newEnough,
      severity: "error",
      detail: `${foundText(found)} ${version?.join(".") ?? "(version unknown)"}${newEnough ? "" : `; srt needs ${MIN_BWRAP.join(".")} or newer (--json-status-fd, --remount-ro, --args)`}`,
      ...(newEnough ? {} : { fix: "install a newer bubblewrap" }),
    });
    const supervisor = supervisorCheck(findNative("srt-supervise"));
    add(supervisor.check);
    if (newEnough && arch) {
      const vars = env.env ?? process.env;
      add(
        sh.ok && supervisor.path !== undefined
          ? await trySandbox({
              tools: {
                bwrap,
                sh: sh.tool.path,
                supervisor: supervisor.path,
                ...(unshare?.ok ? { unshare: unshare.tool.path } : {}),
              },
              arch,
              uid: env.uid,
              gid: env.gid ?? env.uid,
              stateDir: env.stateDir ?? locateStateDir(vars, env.uid),
              env: vars,
              cleanupCommand: env.cleanupCommand,
            })
          : {
              name: "sandbox",
              ok: false,
              severity: "error",
              detail: `not tried: a run needs ${sh.ok ? "srt's supervisor" : "sh for its cleanup watchdog"} (see above)`,
            },
      );
    }
  }
  const limits = checkLimits(nodeLinuxDeps(), env.uid, { runtime: env.runtime ?? "bwrap", rootless: env.uid !== 0 });
  add({
    name: "resource limits",
    ok: limits.ok,
    severity: "warning",
    detail: limits.ok
      ? limits.detail
      : `${limits.detail}: a policy asking for a limit that does not hold is refused unless bestEffort`,
    ...(limits.fix === undefined ? {} : { fix: limits.fix }),
  });
  for (const tool of ["socat", "nsenter", "setpriv"]) {
    const l = locateTool(tool, fs);
    // Only the socat fallback bridge starts these: with srt-bridge built, missing is fine.
    add({
      name: tool,
      ok: l.ok || bridge !== undefined,
      severity: "warning",
      detail: l.ok
        ? foundText(l)
        : bridge !== undefined
          ? `${foundText(l)} (only the socat fallback bridge needs it; srt-bridge is built)`
          : `${foundText(l)}: policies that allow network access cannot run`,
      ...(l.ok || bridge !== undefined
        ? {}
        : { fix: `srt doctor --fix (or apt-get install ${tool === "socat" ? "socat" : "util-linux"})` }),
    });
  }
  return checks;
}

function compare(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) - (b[i] ?? 0);
  return 0;
}

/** srt's state directory (../state-dir.ts): where it is, and whether a run could use it. */
function stateDirCheck(path: string, uid: number): Check {
  if (!existsSync(path))
    return {
      name: "state directory",
      ok: true,
      severity: "error",
      detail: `${path} (created with mode 0700 by the first run; hidden in every sandbox)`,
    };
  const problem = stateDirProblem(nodeLinuxFs, path, uid);
  if (problem === undefined)
    return {
      name: "state directory",
      ok: true,
      severity: "error",
      detail: `${path} (yours, mode 0700; hidden in every sandbox)`,
    };
  return {
    name: "state directory",
    ok: false,
    severity: "error",
    detail: `${path}: ${problem}; srt refuses to keep its state there`,
    fix: `if no srt is running, remove it (rm -rf ${JSON.stringify(path)}); srt recreates it`,
  };
}

/** Starts the sandbox a run gets (trial-sandbox.ts); explains the usual reasons it fails. */
async function trySandbox(input: TrialInput): Promise<Check> {
  const outcome = await runTrialSandbox(input);
  const how = input.uid === 0 ? " (as root)" : " (unprivileged user namespace)";
  if (!outcome.ran)
    return { name: "sandbox", ok: false, severity: "error", detail: `no test sandbox: ${outcome.message}` };
  const { result, stderr } = outcome;
  if (result.kind === "exited" && result.status === 0)
    return {
      name: "sandbox",
      ok: true,
      severity: "error",
      detail: `a test sandbox started${how}: the default policy for a scratch directory, launched as a run is`,
    };
  if (result.kind === "exited")
    return {
      name: "sandbox",
      ok: false,
      severity: "error",
      detail: `a test sandbox started${how}, but \`true\` exited ${result.status} in it${stderr ? `: ${stderr}` : ""}`,
    };
  // No message from bwrap: srt's own set-up refused (its message says why and how to fix it).
  if (stderr === "")
    return { name: "sandbox", ok: false, severity: "error", detail: `a test sandbox did not start: ${result.message}` };
  return {
    name: "sandbox",
    ok: false,
    severity: "error",
    detail: `a test sandbox did not start: ${stderr}`,
    fix: bwrapFix(input.uid, stderr),
  };
}

/** Why bwrap itself could not set a sandbox up, from its message and this machine's sysctls. */
export function bwrapFix(
  uid: number,
  stderr: string,
  sysctl: (path: string) => string | undefined = readSysctl,
): string {
  const userns = sysctl("/proc/sys/kernel/unprivileged_userns_clone");
  const apparmor = sysctl("/proc/sys/kernel/apparmor_restrict_unprivileged_userns");
  const maxNs = sysctl("/proc/sys/user/max_user_namespaces");
  if (uid !== 0 && apparmor === "1")
    return "Ubuntu's AppArmor restricts unprivileged user namespaces: add an AppArmor profile that allows `userns` for bwrap (see /etc/apparmor.d/bwrap-userns-restrict on Ubuntu 24.04), or sysctl -w kernel.apparmor_restrict_unprivileged_userns=0";
  if (uid !== 0 && userns === "0")
    return "unprivileged user namespaces are disabled: sysctl -w kernel.unprivileged_userns_clone=1";
  if (uid !== 0 && maxNs === "0") return "user namespaces are disabled: sysctl -w user.max_user_namespaces=15000";
  if (/proc/.test(stderr))
    return "inside a container that hides /proc: set enableWeakerNestedSandbox (read `srt explain` for what it gives up)";
  return "see bwrap's message";
}

/** What `srt-supervise --probe` found: the kernel features the supervisor needs, and Landlock's ABI. */
export interface SupervisorProbe {
  readonly listener: boolean;
  readonly addfd: boolean;
  /** SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (Linux 6.6+): a trapped call wakes the supervisor on its own CPU. */
  readonly syncWake: boolean;
  readonly landlock: number;
}

export function probeSupervisor(path: string): SupervisorProbe | undefined {
  const r = spawnSync(path, ["--probe"], { encoding: "utf8", timeout: 5000 });
  try {
    const v = JSON.parse(r.stdout ?? "") as Partial<SupervisorProbe>;
    if (typeof v.listener === "boolean" && typeof v.addfd === "boolean" && typeof v.landlock === "number")
      return { listener: v.listener, addfd: v.addfd, syncWake: v.syncWake === true, landlock: v.landlock };
  } catch {
    // fall through: unknown
  }
  return undefined;
}

/** The supervisor and the kernel features it uses; a run needs the listener and ADDFD (SRT511 otherwise). */
export function supervisorCheck(path: string | undefined): { check: Check; path?: string } {
  if (path === undefined)
    return {
      check: {
        name: "supervisor",
        ok: false,
        severity: "error",
        detail: "srt's native helper srt-supervise is not built (dist/native/srt-supervise)",
        fix: "npm run build in srt's package (needs a C compiler: apt-get install gcc libc6-dev)",
      },
    };
  const p = probeSupervisor(path);
  if (p === undefined)
    return {
      check: { name: "supervisor", ok: false, severity: "error", detail: `${path} --probe gave no answer` },
    };
  const ok = p.listener && p.addfd;
  const landlock =
    p.landlock >= 2
      ? `Landlock ABI ${p.landlock} (writes walled to the writable roots${p.landlock >= 6 ? "; signals and abstract unix sockets scoped" : "; signal and abstract-socket scoping unavailable (ABI < 6)"})`
      : "Landlock unavailable (the second wall is off; mounts and the supervisor still hold)";
  return {
    check: {
      name: "supervisor",
      ok,
      severity: "error",
      detail: `${path}; seccomp listener ${p.listener ? "yes" : "no"}, SECCOMP_IOCTL_NOTIF_ADDFD ${p.addfd ? "yes" : "no"}, synchronous wake-up ${p.syncWake ? "yes" : "no (Linux < 6.6: each trapped call waits longer for the scheduler)"}; ${landlock}`,
      ...(ok ? {} : { fix: "use a kernel with seccomp user notification and ADDFD_FLAG_SEND (Linux 5.14 or newer)" }),
    },
    path,
  };
}
