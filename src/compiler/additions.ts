/**
 * What the command line adds to the settings for one run: `srt --allow-domain D --deny-domain D
 * --allow-write P --deny-read P -- cmd` (the seed ports' flags). Each entry joins the settings'
 * own list with its option as origin (`cli:--allow-domain`), so it is checked, normalized and
 * explained like one written in the file, and `srt explain` shows where it came from. Additions
 * only add: an allowed write path joins allowWrite (or the working directory when the settings
 * name none), it never replaces it; a deny added here is a deny like any other.
 */
import type { Listed, SettingsView } from "./view.js";
import type { CliOrigin } from "./ir.js";

export interface RunAdditions {
  readonly allowDomains?: readonly string[];
  readonly denyDomains?: readonly string[];
  readonly allowWrite?: readonly string[];
  readonly denyRead?: readonly string[];
}

const from = <T>(values: readonly T[] | undefined, origin: CliOrigin): Listed<T>[] =>
  (values ?? []).map((value) => ({ value, pointer: origin }));

export function withAdditions(view: SettingsView, add: RunAdditions | undefined): SettingsView {
  if (add === undefined) return view;
  return {
    ...view,
    allowedDomains: [...view.allowedDomains, ...from(add.allowDomains, "cli:--allow-domain")],
    deniedDomains: [...view.deniedDomains, ...from(add.denyDomains, "cli:--deny-domain")],
    denyRead: [...view.denyRead, ...from(add.denyRead, "cli:--deny-read")],
    addedWrite: [...(view.addedWrite ?? []), ...from(add.allowWrite, "cli:--allow-write")],
  };
}
