/**
 * Home start-up files and directories (the "home" rows of protected-names.ts)
 * are protected where they are, not by name everywhere: a `.bash_login` in a
 * project runs nothing, so it is not a placeholder in every project. They are
 * protected when the home entry lies in a writable path, and when it links
 * into one (`~/.bashrc -> ~/dotfiles/bashrc` with `~/dotfiles` writable: the
 * target is what the shell runs); see protect-path.ts for links on the way.
 *
 * Also here: a writable root that *is* home or holds it. srt refuses one that
 * comes from the default (the working directory) rather than from the settings.
 */
import { diagnostic, type Diagnostic } from "./diagnostics.js";
import type { Host } from "./host.js";
import type { PathRule } from "./ir.js";
import { isWithin, joinPath } from "./paths.js";
import { protectSpelled, type SpelledResult, type Writable } from "./protect-path.js";
import { homeNames, type ProtectedName } from "./protected-names.js";
import { resolveReal } from "./resolve.js";

export type HomeResult = SpelledResult;

const zshFiles = new Set([".zshenv", ".zprofile", ".zshrc", ".zlogin", ".zlogout"]);

/**
 * Where one home name is read: home, and the directory a variable moves it to
 * (zsh reads its files from $ZDOTDIR, XDG tools from $XDG_CONFIG_HOME and
 * $XDG_DATA_HOME). Both are kept: the variables srt sees may not be the ones
 * of the user's next login.
 */
function spellings(n: ProtectedName, home: string, vars: Readonly<Record<string, string>>): string[] {
  const out = [joinPath(home, n.name)];
  const moved = (v: string | undefined, rest: string): void => {
    if (v !== undefined && v.startsWith("/")) out.push(joinPath(v.replace(/\/+$/, "") || "/", rest));
  };
  if (zshFiles.has(n.name)) moved(vars["ZDOTDIR"], n.name);
  if (n.name.startsWith(".config/")) moved(vars["XDG_CONFIG_HOME"], n.name.slice(".config/".length));
  if (n.name.startsWith(".local/share/")) moved(vars["XDG_DATA_HOME"], n.name.slice(".local/share/".length));
  return [...new Set(out)];
}

export function homeRules(host: Host, writable: Writable): HomeResult {
  const rules: PathRule[] = [];
  for (const n of homeNames) {
    for (const spelled of spellings(n, host.env.home, host.env.vars)) {
      const found = protectSpelled(host, spelled, writable, n.rule, n);
      if (!found.ok) return found;
      rules.push(...found.rules);
    }
  }
  return { ok: true, rules };
}

/**
 * A writable root that is home or one of its parents, when it comes from a
 * default (`srt -- …` run from ~ makes the working directory writable): every
 * start-up file, key and tool config of the user would be in reach. Naming the
 * directory in allowWrite says it is meant.
 */
export function homeRootDiagnostics(host: Host, writable: readonly PathRule[]): Diagnostic[] {
  const home = resolveReal(host, host.env.home);
  const real = home.ok ? home.real : host.env.home;
  return writable
    .filter((w) => w.origin.startsWith("default:") && isWithin(real, w.path))
    .map((w) => diagnostic("SRT320", "", { path: w.path, origin: w.origin, home: real }));
}
