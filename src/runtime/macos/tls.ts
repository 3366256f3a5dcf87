/**
 * TLS termination and masked variables for a macOS run, with the same proxy
 * code as on Linux (../proxy/tls/setup.ts): a CA made in srt's memory (or the
 * user's, read here), its certificate and the trust bundle written into the
 * run directory, where the Seatbelt profile lets the command read those two
 * files and write neither (backends/seatbelt/tls.ts); the key is written
 * nowhere. Masked variables get their per-run sentinels; their real values
 * stay in srt, for the proxy to put back towards their inject hosts.
 *
 * Masked *files* are left out: Linux binds a masked copy over the denied
 * original, and Seatbelt has no way to put a file in another's place. Such a
 * file stays denied (the compiler says so, SRT433), and its secret is never
 * even read.
 *
 * Unit-tested on Linux through the injected file system; not run on macOS.
 */
import type { NetworkPolicy } from "../../compiler/ir.js";
import type { TlsRun, TlsRunFs } from "../proxy/tls/setup.js";
import type { MacosDeps, MacosFs } from "./deps.js";

/** What setUpTlsRun needs, from the runner's file system: files are created fresh (never through an existing one). */
const tlsFs = (fs: MacosFs): TlsRunFs => ({
  readFile: (path) => fs.readFile(path),
  writeFile: (path, text, mode) => fs.writeNewFile(path, text, mode),
  mkdir: (path, mode) => fs.mkdir(path, mode),
  realpath(path) {
    try {
      return fs.realpath(path);
    } catch {
      return path;
    }
  },
});

/** The policy's TLS termination and variable masks set up in runDir, or undefined when it has neither. */
export async function setUpMacosTls(
  network: Pick<NetworkPolicy, "tlsTerminate" | "masks">,
  o: {
    readonly deps: Pick<MacosDeps, "fs" | "tls">;
    readonly runDir: string;
    /** srt's environment: where masked variables are read from. */
    readonly env: Readonly<Record<string, string | undefined>>;
  },
): Promise<TlsRun | undefined> {
  const entries = network.masks?.entries.filter((m) => m.source.kind === "env") ?? [];
  const masks = network.masks === undefined || entries.length === 0 ? undefined : { ...network.masks, entries };
  if (network.tlsTerminate === undefined && masks === undefined) return undefined;
  const { setUpTlsRun } = await o.deps.tls();
  const run = setUpTlsRun(
    {
      ...(network.tlsTerminate === undefined ? {} : { tlsTerminate: network.tlsTerminate }),
      ...(masks ? { masks } : {}),
    },
    { env: o.env, runDir: o.runDir, tmp: o.runDir, fs: tlsFs(o.deps.fs) },
  );
  // Only file masks make binds, and none were given: anything else would be a masked file left unshown.
  if (run.binds.length > 0) throw new Error("a masked file cannot be shown under Seatbelt; the command did not run");
  return run;
}
