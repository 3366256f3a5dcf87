/**
 * A run's TLS termination and masked credentials, set up on the host before
 * the command starts. Loaded with a dynamic import only when the policy has
 * tlsTerminate or masks, so every other run loads neither Node's tls module
 * nor the X.509 code (esbuild puts this in its own chunk).
 *
 * Where things go: the CA certificate and the trust bundle into `tmp` (the
 * command must read them): on Linux the run's private temp directory (what
 * it could change there is only its own trust), on macOS the run directory,
 * whose two files the Seatbelt profile lets it read and not write; masked
 * copies of credential files into the run directory, which every sandbox has
 * hidden, bound read-only over the denied originals (Linux only). The CA's
 * private key is never written anywhere.
 */
import { join } from "node:path";
import type { NetworkPolicy } from "../../../compiler/ir.js";
import { RuntimeFailure } from "../../failure.js";
import type { MaskSet } from "../credentials/masks.js";
import { prepareMasks } from "../credentials/prepare.js";
import { createTlsTerminator, type TlsTerminator } from "./terminate.js";
import { loadTrust } from "./trust.js";
import { trustEnvironment } from "./trust-env.js";
import { ephemeralAuthority, loadedAuthority } from "./x509.js";

export interface TlsRunFs {
  readonly readFile: (path: string) => string | undefined;
  readonly writeFile: (path: string, text: string, mode: number) => void;
  readonly mkdir: (path: string, mode: number) => void;
  readonly realpath: (path: string) => string;
}

export interface TlsRun {
  readonly terminator: TlsTerminator | undefined;
  /** For plain-HTTP requests: injected with allowPlaintextInject, else refused. */
  readonly masks: MaskSet | undefined;
  /** Added to the command's environment: the trust variables, the masked variables. */
  readonly env: Readonly<Record<string, string>>;
  readonly binds: readonly { readonly source: string; readonly dest: string }[];
  /** Where the CA certificate and the trust bundle were written (with tlsTerminate): what the command must be able to read. */
  readonly trustFiles: { readonly ca: string; readonly bundle: string } | undefined;
  /** For the user (never holding a secret). */
  readonly warnings: readonly string[];
}

export function setUpTlsRun(
  policy: Pick<NetworkPolicy, "tlsTerminate" | "masks">,
  o: {
    readonly env: Readonly<Record<string, string | undefined>>;
    readonly runDir: string;
    readonly tmp: string;
    readonly fs: TlsRunFs;
  },
): TlsRun {
  const env: Record<string, string> = {};
  const binds: { source: string; dest: string }[] = [];
  const prepared = policy.masks ? prepareMasks(policy.masks, { env: o.env, readFile: o.fs.readFile }) : undefined;
  if (prepared) {
    Object.assign(env, prepared.env);
    let i = 0;
    for (const [path, text] of prepared.files) {
      const dir = join(o.runDir, "masks");
      if (i === 0) o.fs.mkdir(dir, 0o700);
      const source = join(dir, String(i++));
      o.fs.writeFile(source, text, 0o400);
      binds.push({ source, dest: o.fs.realpath(path) });
    }
  }
  let terminator: TlsTerminator | undefined;
  let trustFiles: TlsRun["trustFiles"];
  const t = policy.tlsTerminate;
  if (t) {
    let authority;
    try {
      if (t.ca) {
        const cert = o.fs.readFile(t.ca.certPath);
        const key = o.fs.readFile(t.ca.keyPath);
        if (cert === undefined || key === undefined)
          throw new Error(`cannot read ${cert === undefined ? t.ca.certPath : t.ca.keyPath}`);
        authority = loadedAuthority(cert, key);
      } else authority = ephemeralAuthority();
    } catch (e) {
      throw new RuntimeFailure("SRT541", `tlsTerminate: the CA cannot be loaded: ${(e as Error).message}`);
    }
    const trust = loadTrust(t.extraCaCertPaths, { env: o.env, readFile: o.fs.readFile });
    const files = { ca: join(o.tmp, "srt-ca.pem"), bundle: join(o.tmp, "srt-ca-bundle.pem") };
    o.fs.writeFile(files.ca, authority.certPem, 0o644);
    o.fs.writeFile(files.bundle, trust.bundle(authority.certPem), 0o644);
    Object.assign(env, trustEnvironment(files));
    trustFiles = files;
    terminator = createTlsTerminator({ authority, trust, policy: t, masks: prepared?.set });
  }
  return { terminator, masks: prepared?.set, env, binds, trustFiles, warnings: prepared?.warnings ?? [] };
}
