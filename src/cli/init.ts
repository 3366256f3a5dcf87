/**
 * `srt init [F]`: a commented starter policy for the project in the working
 * directory. Never overwrites: a policy someone wrote is worth more than ours.
 */
import { existsSync, writeFileSync } from "node:fs";
import { presetNames, type PresetName } from "../compiler/presets.js";
import { dirname, relative, resolve } from "node:path";
import { defineCommand } from "./args.js";
import { exitStatus, type CliIo } from "./io.js";
import { packageRoot } from "../runtime/package-root.js";

/**
 * --allow-registries: the presets of the package managers (their registries and writable caches,
 * schema/presets.json), so `npm install` works instead of failing on a read-only ~/.npm; plus the
 * registry srt has no preset for.
 */
const registryPresets: readonly PresetName[] = ["node", "python", "rust", "go"];
const otherRegistries = ["rubygems.org"];

export function starterPolicy(
  allowRegistries: boolean,
  schemaRef: string | undefined,
  presets: readonly PresetName[] = [],
): string {
  const extended = [...new Set([...(allowRegistries ? registryPresets : []), ...presets])];
  const policy = {
    ...(schemaRef === undefined ? {} : { $schema: schemaRef }),
    $comment:
      "Starter policy from `srt init`. Check it with `srt explain --settings <this file>`; run with `srt --settings <this file> -- cmd`.",
    ...(extended.length === 0
      ? {}
      : {
          extends: extended,
        }),
    network: {
      $comment:
        extended.length > 0
          ? `Hosts of the presets in "extends" (${extended.join(", ")}; see \`srt explain\`), plus these. Add hosts as \`example.com\`, \`*.example.com\` or \`host:443\`.`
          : "Nothing is reachable. Add hosts as `example.com`, `*.example.com` or `host:443`.",
      allowedDomains: allowRegistries ? otherRegistries : [],
      deniedDomains: [],
    },
    filesystem: {
      $comment:
        "Writes: this project only (plus a private temp dir). Secrets below are unreadable. Shell rc files, git hooks and config, editor and agent config stay write-protected whatever this says.",
      denyRead: [
        "~/.ssh",
        "~/.aws",
        "~/.azure",
        "~/.config/gcloud",
        "~/.kube",
        "~/.docker/config.json",
        "~/.gnupg",
        "~/.netrc",
        "~/.npmrc",
        "~/.pypirc",
      ],
      allowWrite: ["."],
      denyWrite: [],
    },
    env: {
      $comment:
        "Only the basic environment (PATH, HOME, locale, terminal) reaches the command; tokens in your shell stay out.",
      inherit: "core",
      allow: [],
      deny: [],
    },
  };
  return JSON.stringify(policy, null, 2) + "\n";
}

export const initCommand = (io: CliIo) =>
  defineCommand({
    meta: { name: "init", description: "Write a starter policy for this project (never overwrites)" },
    args: {
      file: { type: "positional", required: false, description: "where to write it (default: srt-settings.json)" },
      "allow-registries": {
        type: "boolean",
        description:
          "allow the common package registries and their caches (presets node, python, rust, go; and RubyGems)",
      },
      extends: {
        type: "string",
        valueHint: "LIST",
        description: `presets to extend, comma-separated: ${presetNames.join(", ")} (registries and writable caches)`,
      },
    },
    run({ args }): number {
      const target = resolve(io.cwd, args.file ?? "srt-settings.json");
      const asked = (args.extends ?? "")
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s !== "");
      const unknown = asked.filter((n) => !(presetNames as string[]).includes(n));
      if (unknown.length > 0) {
        io.err(
          `srt init: unknown preset ${unknown.map((n) => `"${n}"`).join(", ")} (known: ${presetNames.join(", ")})\n`,
        );
        return exitStatus.usage;
      }
      try {
        // "wx": fail if it exists, atomically (no check-then-write race).
        // Point editors at the schema srt ships, relative when srt is installed in the project.
        const schemaFile = resolve(packageRoot(), "schema/settings.schema.json");
        const rel = relative(dirname(target), schemaFile);
        // A $schema that names nothing misleads editors: left out when srt's copy is not where it should be.
        const schemaRef = !existsSync(schemaFile) ? undefined : rel.startsWith("..") ? schemaFile : `./${rel}`;
        writeFileSync(target, starterPolicy(args["allow-registries"] === true, schemaRef, asked as PresetName[]), {
          flag: "wx",
          mode: 0o644,
        });
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        io.err(
          code === "EEXIST"
            ? `srt init: ${target} already exists; not overwriting it\n`
            : `srt init: cannot write ${target}: ${code ?? String(e)}\n`,
        );
        return exitStatus.usage;
      }
      const shown = relative(io.cwd, target) || target;
      io.out(
        `wrote ${shown}\n  review it:  srt explain --settings ${shown}\n  run with:   srt --settings ${shown} -- <command>\n`,
      );
      return exitStatus.ok;
    },
  });
