/**
 * A bwrap argument list as data. Values the compiler cannot know — where the
 * runtime puts this run's private directory — are slots the runtime fills in
 * (`fillSlots`), so a plan compiled once can run many times and no path is
 * ever built by pasting strings into a shell.
 */

/** Per-run paths, created by the runtime before bwrap starts. */
export type SlotName =
  /** The run's private temp dir (in srt's hidden state directory), writable in the sandbox and exported as TMPDIR. */
  | "tmp"
  /** An empty file with mode 000: the source of every file read mask. */
  | "void";

export type ArgvItem = string | { readonly slot: SlotName };

/** One argv entry with the reason it is there (for goldens and `--emit argv`). */
export interface CommentedArgs {
  readonly args: readonly ArgvItem[];
  readonly comment: string;
}

export type Slots = Readonly<Record<SlotName, string>>;

export function fillSlots(items: readonly ArgvItem[], slots: Slots): string[] {
  return items.map((a) => (typeof a === "string" ? a : slots[a.slot]));
}

export const flatten = (groups: readonly CommentedArgs[]): ArgvItem[] => groups.flatMap((g) => g.args);
