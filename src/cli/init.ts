/**
 * `srt init [F]`: a commented starter policy for the project in the working
 * directory. Never overwrites: a policy someone wrote is worth more than ours.
 */
import { writeFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { defineCommand } from "./args.js";
import { exitStatus, type CliIo } from "./io.js";
import { packageRoot } from "../runtime/package-root.js";

/** Package registries, opt-in with --allow-registries. */
const registries = [
  "registry.npmjs.org",
  "registry.yarnpkg.com",
  "pypi.org",
  "files.pythonhosted.org",
  "crates.io",
  "index.crates.io",
  "static.crates.io",
  "proxy.golang.org",
  "sum.golang.org",
  "rubygems.org",
];

export function starterPolicy(allowRegistries: boolean, schemaRef: string): string {
  const policy = {
    $schema: schemaRef,
    $comment:
      "Starter policy from `srt init`. Check it with `srt explain --settings <this file>`; run with `srt --settings <this file> -- cmd`.",
    network: {
      $comment: allowRegistries
        ? "Package registries only. Add hosts as `example.com`, `*.example.com` or `host:443`."
        : "Nothing is reachable. Add hosts as `example.com`, `*.example.com` or `host:443`.",
      allowedDomains: allowRegistries ? registries : [],
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
        description: "allow the common package registries (npm, PyPI, crates.io, Go, RubyGems)",
      },
    },
    run({ args }): number {
      const target = resolve(io.cwd, args.file ?? "srt-settings.json");
      try {
        // "wx": fail if it exists, atomically (no check-then-write race).
        // Point editors at the schema srt ships, relative when srt is installed in the project.
        const schemaFile = resolve(packageRoot(), "schema/settings.schema.json");
        const rel = relative(dirname(target), schemaFile);
        const schemaRef = rel.startsWith("..") ? schemaFile : `./${rel}`;
        writeFileSync(target, starterPolicy(args["allow-registries"] === true, schemaRef), { flag: "wx", mode: 0o644 });
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
