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
import { plantedLinks, type Redirect } from "./planted.js";
import { resolveReal } from "./resolve.js";
import { selfProtection, type SelfOutput } from "./self-protect.js";
import { unlistableOrigin } from "./unlistable.js";

export interface ExpandInput {
  readonly paths: readonly PathIntent[];
  readonly options: Policy["options"];
  /** The settings file in use and the default lookup location, protected when they lie in a writable root. */
  readonly settingsFiles: readonly string[];
  /** srt's installation directory, protected when it lies in a writable root. */
  readonly installDir?: string;
  /** Files srt writes for this policy's runs (a plan, the violations file), protected like the settings. */
  readonly outputs: readonly SelfOutput[];
  readonly limits: BudgetLimits;
  /** Directories hidden whole in every sandbox of the target (mandatory.ts): not searched. */
  readonly hidden?: readonly string[];
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
  /** /proc/sys/fs/binfmt_misc exists (lstat: an automount point there is not triggered). */
  readonly binfmtMisc: boolean;
}

export function expandPaths(machine: Host, input: ExpandInput): ExpandResult {
  const host = createHostCache(machine);
  const diagnostics: Diagnostic[] = [];
  const rules: FsRule[] = [];
  const budget = createBudget(host, input.limits);
  const redirected: Redirect[] = [];

  const literal = (intent: PathIntent, spelled: string, via: PathRule["via"]): PathRule | undefined => {
    const links: string[] = [];
    const r = resolveReal(host, spelled, (l) => links.push(l));
    if (!r.ok) {
      diagnostics.push(diagnostic("SRT300", intent.origin, { kind: "rule", at: r.at, code: r.code, spelled }));
      return undefined;
    }
    const recorded = r.real !== spelled && via.kind === "literal" ? { kind: "symlink" as const, spelled } : via;
    if (r.real !== spelled && intent.access === "write" && intent.effect === "allow")
      redirected.push({ spelled, real: r.real, origin: intent.origin, links });
    return {
      kind: "path",
      access: intent.access,
      effect: intent.effect,
      path: r.real,
      node: r.node,
      via: recorded,
      origin: intent.origin,
    };
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
          ? diagnostic("SRT301", intent.origin, { detail: result.detail })
          : diagnostic("SRT300", intent.origin, { kind: "glob", at: result.at, code: result.code, pattern }),
      );
      continue;
    }
    for (const dir of result.unlistable) {
      diagnostics.push(
        intent.effect === "deny"
          ? diagnostic("SRT310", intent.origin, { kind: "glob", dir, pattern, access: intent.access })
          : diagnostic("SRT311", intent.origin, { dir, pattern }),
      );
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
      diagnostics.push(diagnostic("SRT303", intent.origin, { pattern }));
    }
    rules.push({
      kind: "glob",
      access: intent.access,
      effect: intent.effect,
      pattern,
      matches: count,
      origin: intent.origin,
    });
    // Backends that match globs at access time (Seatbelt) see real paths: give them the real spelling too.
    if (result.realPattern !== undefined)
      rules.push({
        kind: "glob",
        access: intent.access,
        effect: intent.effect,
        pattern: result.realPattern,
        matches: count,
        origin: intent.origin,
      });
  }

  const writable = rules.filter(
    (r): r is PathRule => r.kind === "path" && r.access === "write" && r.effect === "allow",
  );
  diagnostics.push(...plantedLinks(host, redirected, writable));
  for (const r of writable) {
    // A preset's cache directory that is absent is created when a run starts (src/cli/preset-dirs.ts).
    if (r.node === "absent" && !r.origin.startsWith("preset:"))
      diagnostics.push(diagnostic("SRT304", r.origin, { path: r.path }));
  }
  const binfmt = host.lstat("/proc/sys/fs/binfmt_misc");
  const binfmtMisc = binfmt.ok && binfmt.value.kind === "dir";
  // A walk already ran out of budget: the compile fails; a second overrun report would only confuse.
  if (diagnostics.some((d) => d.code === "SRT301")) return { rules, diagnostics, linkedProtected: [], binfmtMisc };
  const mandatory = findMandatoryDenies(
    host,
    {
      writable: writable.map((r) => ({ path: r.path, node: r.node })),
      depth: input.options.mandatoryDenySearchDepth.value,
      allowGitConfig: input.options.allowGitConfig.value,
      ...(input.hidden === undefined ? {} : { hidden: input.hidden }),
    },
    budget,
  );
  diagnostics.push(...homeRootDiagnostics(host, writable));
  if (!mandatory.ok) {
    diagnostics.push(
      mandatory.reason === "budget"
        ? diagnostic(
            "SRT302",
            input.options.mandatoryDenySearchDepth.origin === "default"
              ? ""
              : input.options.mandatoryDenySearchDepth.origin,
            { detail: mandatory.detail },
          )
        : mandatory.reason === "git-config"
          ? diagnostic("SRT321", "", { at: mandatory.at, detail: mandatory.detail })
          : diagnostic("SRT300", "", { kind: "mandatory", at: mandatory.at, code: mandatory.code }),
    );
  } else {
    rules.push(...mandatory.rules);
    for (const r of mandatory.rules.filter((r) => r.origin === unlistableOrigin)) {
      // Pointed at the settings entry that made the root writable, when one did (not "default:cwd").
      const root = writable.find((w) => isWithin(r.path, w.path) && w.origin.startsWith("/"));
      diagnostics.push(diagnostic("SRT310", root?.origin ?? "", { kind: "mandatory", dir: r.path }));
    }
  }
  const self = selfProtection(host, writable, {
    settingsFiles: input.settingsFiles,
    outputs: input.outputs,
    ...(input.installDir === undefined ? {} : { installDir: input.installDir }),
  });
  rules.push(...self.rules);
  diagnostics.push(...self.diagnostics);
  // One per link: a linked ~/.config stands in the way of every name below it.
  const linkedProtected = [...new Map((mandatory.ok ? mandatory.rules : []).map((r) => [r.path, r])).values()].flatMap(
    (r) => {
      if (r.node !== "other") return [];
      const st = host.lstat(r.path);
      const inside = writable.find((w) => isWithin(r.path, w.path) && r.path !== w.path);
      return st.ok && st.value.kind === "symlink" && inside !== undefined
        ? [{ path: r.path, origin: inside.origin }]
        : [];
    },
  );
  return { rules, diagnostics, linkedProtected, binfmtMisc };
}
