/**
 * Stage 4: normalized intents → concrete file-system rules, the only stage
 * that looks at the Host. Literal paths are resolved through symlinks (the
 * rule lands on the real path and records the spelling), globs are expanded,
 * and the mandatory denies are discovered below every writable root. Any path
 * that cannot be inspected fails the compile: guessing would be fail-open.
 */
import { createBudget, type BudgetLimits } from "./budget.js";
import { diagnostic, type Diagnostic } from "./diagnostics.js";
import { expandGlob } from "./glob.js";
import { createHostCache } from "./host-cache.js";
import type { Host } from "./host.js";
import type { FsRule, PathRule, Policy } from "./ir.js";
import { homeRootDiagnostics } from "./home.js";
import { findMandatoryDenies } from "./mandatory.js";
import type { PathIntent } from "./normalize.js";
import { isWithin } from "./paths.js";
import { resolveReal } from "./resolve.js";

export interface ExpandInput {
  readonly paths: readonly PathIntent[];
  readonly options: Policy["options"];
  /** The settings file in use and the default lookup location, protected when they lie in a writable root. */
  readonly settingsFiles: readonly string[];
  /** srt's installation directory, protected when it lies in a writable root. */
  readonly installDir?: string;
  readonly limits: BudgetLimits;
}

export interface ExpandResult {
  readonly rules: FsRule[];
  readonly diagnostics: Diagnostic[];
  /**
   * Mandatory-protected paths that are symlinks inside a writable directory
   * (`~/.bashrc -> dotfiles/bashrc`), with the writable rule they lie in. A
   * bind mount lands on the link's target, so on Linux the link itself can be
   * unlinked and replaced; Seatbelt denies writes to the path as spelled.
   */
  readonly linkedProtected: readonly { readonly path: string; readonly origin: string }[];
}

export function expandPaths(machine: Host, input: ExpandInput): ExpandResult {
  const host = createHostCache(machine);
  const diagnostics: Diagnostic[] = [];
  const rules: FsRule[] = [];
  const budget = createBudget(host, input.limits);
  const redirected: Redirect[] = [];

  const literal = (intent: PathIntent, spelled: string, via: PathRule["via"]): PathRule | undefined => {
    const r = resolveReal(host, spelled);
    if (!r.ok) {
      diagnostics.push(diagnostic("SRT300", intent.origin, `cannot inspect ${r.at} (${r.code}) while resolving ${spelled}`, { hint: "srt will not guess what a rule covers; fix the path or its permissions" }));
      return undefined;
    }
    const recorded = r.real !== spelled && via.kind === "literal" ? { kind: "symlink" as const, spelled } : via;
    if (r.real !== spelled && intent.access === "write" && intent.effect === "allow") redirected.push({ spelled, real: r.real, origin: intent.origin });
    return { kind: "path", access: intent.access, effect: intent.effect, path: r.real, node: r.node, via: recorded, origin: intent.origin };
  };

  for (const intent of input.paths) {
    if (!intent.spec.glob) {
      const rule = literal(intent, intent.spec.path, { kind: "literal" });
      if (rule) rules.push(rule);
      continue;
    }
    const pattern = intent.spec.path;
    const result = expandGlob(host, pattern, budget, intent.effect === "deny");
    if (!result.ok) {
      diagnostics.push(
        result.reason === "budget"
          ? diagnostic("SRT301", intent.origin, result.detail, { hint: "narrow the glob (a deeper base directory) or list the paths" })
          : diagnostic("SRT300", intent.origin, `cannot list ${result.at} (${result.code}) while expanding ${pattern}`, { hint: unlistable(result.code) }),
      );
      continue;
    }
    let count = 0;
    for (const m of result.matches) {
      const rule = literal(intent, m.path, { kind: "glob", pattern });
      if (rule) {
        rules.push(rule);
        count++;
      }
    }
    if (count === 0) {
      diagnostics.push(diagnostic("SRT303", intent.origin, `${pattern} matches nothing now; on Linux a file created later is not covered`));
    }
    rules.push({ kind: "glob", access: intent.access, effect: intent.effect, pattern, matches: count, origin: intent.origin });
    // Backends that match globs at access time (Seatbelt) see real paths: give them the real spelling too.
    if (result.realPattern !== undefined) rules.push({ kind: "glob", access: intent.access, effect: intent.effect, pattern: result.realPattern, matches: count, origin: intent.origin });
  }

  const writable = rules.filter((r): r is PathRule => r.kind === "path" && r.access === "write" && r.effect === "allow");
  diagnostics.push(...plantedLinks(redirected, writable));
  for (const r of writable) {
    if (r.node === "absent") diagnostics.push(diagnostic("SRT304", r.origin, `${r.path} does not exist, so there is nothing to make writable`));
  }
  // A walk already ran out of budget: the compile fails; a second overrun report would only confuse.
  if (diagnostics.some((d) => d.code === "SRT301")) return { rules, diagnostics, linkedProtected: [] };
  const mandatory = findMandatoryDenies(host, { writable: writable.map((r) => ({ path: r.path, node: r.node })), depth: input.options.mandatoryDenySearchDepth.value, allowGitConfig: input.options.allowGitConfig.value }, budget);
  diagnostics.push(...homeRootDiagnostics(host, writable));
  if (!mandatory.ok) {
    diagnostics.push(
      mandatory.reason === "budget"
        ? diagnostic("SRT302", input.options.mandatoryDenySearchDepth.origin === "default" ? "" : input.options.mandatoryDenySearchDepth.origin, mandatory.detail, { hint: "set mandatoryDenySearchDepth, or make a smaller directory writable" })
        : mandatory.reason === "git-config"
          ? diagnostic("SRT321", "", `cannot read ${mandatory.at} as git would (${mandatory.detail}), so srt cannot tell where git takes hooks and config from`, { hint: "fix or remove that file (git itself refuses a config it cannot parse)" })
          : diagnostic("SRT300", "", `cannot list ${mandatory.at} (${mandatory.code}) while searching for files that must stay write-protected`, { hint: unlistable(mandatory.code) }),
    );
  } else {
    rules.push(...mandatory.rules);
  }
  rules.push(...selfProtection(host, writable, input, diagnostics));
  // One per link: a linked ~/.config stands in the way of every name below it.
  const linkedProtected = [...new Map((mandatory.ok ? mandatory.rules : []).map((r) => [r.path, r])).values()].flatMap((r) => {
    if (r.node !== "other") return [];
    const st = host.lstat(r.path);
    const inside = writable.find((w) => isWithin(r.path, w.path) && r.path !== w.path);
    return st.ok && st.value.kind === "symlink" && inside !== undefined ? [{ path: r.path, origin: inside.origin }] : [];
  });
  return { rules, diagnostics, linkedProtected };
}

interface Redirect {
  readonly spelled: string;
  readonly real: string;
  readonly origin: string;
}

/**
 * A writable path spelled through a symlink that sits inside another writable
 * path, and leads out of everything writable: an earlier sandboxed run could
 * have planted that link (`rm -rf build; ln -s ~/.ssh build`) so that this
 * policy hands it the target. srt refuses rather than guess who made the link.
 */
function plantedLinks(redirected: readonly Redirect[], writable: readonly PathRule[]): Diagnostic[] {
  return redirected
    .filter((d) => {
      // Other rules: naming the target itself in allowWrite says it is meant to be writable.
      const others = writable.filter((w) => w.origin !== d.origin);
      return others.some((w) => isWithin(d.spelled, w.path) && d.spelled !== w.path) && !others.some((w) => isWithin(d.real, w.path));
    })
    .map((d) =>
      diagnostic("SRT306", d.origin, `${d.spelled} is a symlink inside a writable directory that leads out of it, to ${d.real}; a sandboxed command could have made it`, {
        hint: `if ${d.real} should be writable, name it in allowWrite; otherwise remove the link`,
      }),
    );
}

/** What to do about a directory a walk could not list; srt never skips it (what is inside stays unknown). */
const unlistable = (code: string): string =>
  code === "EILSEQ"
    ? "a name in it is not valid UTF-8, so no rule could name what lies there; rename it, or make a smaller directory writable"
    : "srt does not skip what it cannot see; fix the permissions, or make a smaller directory writable";

/**
 * The settings file in use and srt's installation, where the command could
 * write them. Compared by real path (a symlinked spelling must not dodge the
 * check); a writable directory *inside* the installation is protected whole.
 */
function selfProtection(host: Host, writable: readonly PathRule[], input: ExpandInput, diagnostics: Diagnostic[]): PathRule[] {
  const out: PathRule[] = [];
  const guarded = [...input.settingsFiles.map((f) => [f, "settings-file"] as const), [input.installDir, "srt-installation"] as const];
  for (const [spelled, name] of guarded) {
    if (spelled === undefined) continue;
    const r = resolveReal(host, spelled);
    if (!r.ok) {
      diagnostics.push(diagnostic("SRT300", "", `cannot inspect ${r.at} (${r.code}) while resolving ${spelled}, which must stay write-protected`));
      continue;
    }
    const deny = (path: string, node: PathRule["node"]): PathRule => ({
      kind: "path",
      access: "write",
      effect: "deny",
      path,
      node,
      via: path === spelled ? { kind: "literal" } : { kind: "symlink", spelled },
      origin: `mandatory:${name}`,
    });
    for (const w of writable) {
      if (isWithin(r.real, w.path)) out.push(deny(r.real, r.node));
      else if (isWithin(w.path, r.real)) out.push({ ...deny(w.path, w.node), via: w.via });
    }
  }
  return out;
}
