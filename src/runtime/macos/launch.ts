/**
 * How srt starts a command under Seatbelt: `sandbox-exec -f <profile file>`
 * (a file, not `-p`: a long inline profile hits E2BIG), the run-time profile
 * parameters as `-D NAME=VALUE` (the private temp dir; under tlsTerminate the
 * CA files too), then `--` and the command, so nothing the command is called
 * with can be read as a sandbox-exec option. Pure: the
 * caller writes the profile and spawns the result without a shell.
 *
 * Unit-tested on Linux (argv, env); it has not been run on macOS from here.
 */
import { seatbeltParams, type SeatbeltParam } from "../../backends/seatbelt/index.js";
import { proxyVariables } from "../proxy/environment.js";

export const sandboxExec = "/usr/bin/sandbox-exec";

export interface MacosLaunchInput {
  /** The profile, as renderSeatbelt printed it (kept for the caller to write to profilePath). */
  readonly profileText: string;
  readonly profilePath: string;
  /** The per-run private temp dir; it becomes TMPDIR and the SRT_PRIVATE_TMP parameter. */
  readonly tmpDir: string;
  readonly command: string;
  readonly args: readonly string[];
  /** The environment the command gets, already filtered by the env policy. */
  readonly env: Readonly<Record<string, string>>;
  readonly proxyPorts: { readonly httpPort: number; readonly socksPort: number };
  /** Hosts that bypass the proxies (NO_PROXY); default: the three loopback names. */
  readonly noProxy?: readonly string[];
  /** The session tag the profile's messages start with (for the log reader). */
  readonly tag: string;
  /** The parameters the profile reads (paramsOf): each one must be given a value here, or nothing starts. */
  readonly params: readonly SeatbeltParam[];
  /** srt's CA certificate and trust bundle for this run (tlsTerminate), real paths. */
  readonly trustFiles?: { readonly ca: string; readonly bundle: string } | undefined;
}

export interface MacosLaunch {
  readonly file: string;
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly profile: { readonly path: string; readonly text: string };
  readonly tag: string;
}

/**
 * Seatbelt matches the path the kernel resolved: on macOS /tmp and /var are
 * symlinks into /private, and a rule on "/var/folders/…" would never match.
 */
export function realTmpPath(path: string): string {
  return /^\/(tmp|var|etc)(\/|$)/.test(path) ? `/private${path}` : path;
}

export function buildMacosLaunch(input: MacosLaunchInput): MacosLaunch {
  if (!input.profilePath.startsWith("/") || !input.tmpDir.startsWith("/"))
    throw new Error("profilePath and tmpDir must be absolute");
  if (input.command === "") throw new Error("empty command");
  const tmp = realTmpPath(input.tmpDir);
  const proxyEnv = Object.fromEntries(
    proxyVariables({ ...input.proxyPorts, ...(input.noProxy === undefined ? {} : { noProxy: input.noProxy }) }).map(
      (v) => [v.name, v.value],
    ),
  );
  // srt's own variables win over whatever the command inherited: a stale HTTP_PROXY must not point elsewhere.
  const env = { ...input.env, ...proxyEnv, TMPDIR: `${tmp}/` };
  const values: Partial<Record<SeatbeltParam, string>> = {
    [seatbeltParams.privateTmp]: tmp,
    ...(input.trustFiles === undefined
      ? {}
      : {
          [seatbeltParams.tlsCa]: realTmpPath(input.trustFiles.ca),
          [seatbeltParams.tlsBundle]: realTmpPath(input.trustFiles.bundle),
        }),
  };
  const defines = input.params.flatMap((p) => {
    const value = values[p];
    // sandbox-exec would refuse the profile anyway (assumed, not seen): say why here, before anything starts.
    if (value === undefined) throw new Error(`the profile reads -D ${p}, which this run has no value for`);
    return ["-D", `${p}=${value}`];
  });
  return {
    file: sandboxExec,
    argv: ["-f", input.profilePath, ...defines, "--", input.command, ...input.args],
    env,
    profile: { path: input.profilePath, text: input.profileText },
    tag: input.tag,
  };
}
