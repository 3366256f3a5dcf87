/**
 * Tool-cache presets (`"extends": ["node", "python"]`): data in
 * schema/presets.json, so a reader sees in one file what each preset allows.
 * A preset adds hosts to allowedDomains and cache directories to the writable
 * ones, and may keep part of a cache read-only (where the host's own tools run
 * what they find). Its rules carry the origin `preset:NAME`, so `srt explain`
 * says where each came from. Creating absent cache directories is the run's
 * job (src/cli/preset-dirs.ts): the compiler stays pure.
 */
import presets from "../../schema/presets.json" with { type: "json" };
import type { SrtSettings } from "./settings.gen.js";

export type PresetName = NonNullable<SrtSettings["extends"]>[number];

export interface Preset {
  readonly description: string;
  readonly allowedDomains: readonly string[];
  /** Written by the tools; writable, and created when absent at the start of a run. `~/` = home. */
  readonly cacheDirs: readonly string[];
  /** Paths inside the caches that stay read-only, with why. */
  readonly denyWrite: Readonly<Record<string, string>>;
}

export const presetTable: Readonly<Record<PresetName, Preset>> = presets;

export const presetNames = Object.keys(presetTable).filter((k) => !k.startsWith("$")) as PresetName[];
