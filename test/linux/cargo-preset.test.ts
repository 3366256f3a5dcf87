/**
 * The rust preset with the real cargo: a tiny crate builds offline inside the
 * sandbox, cargo's download caches (~/.cargo/registry, ~/.cargo/git) are
 * created by the run and writable, and what a later host cargo run reads as
 * configuration or runs (config.toml, config, credentials*, bin/) is not.
 */
import { existsSync, statSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { dirname } from "node:path";
import { describe, expect, it } from "vitest";
import { lacking, unavailable } from "../support/requirements.js";
import {
  missingTestUser,
  PATH,
  read,
  report,
  runners,
  sh,
  skipReason,
  supported,
  useBox,
  type Runner,
} from "./support.js";

/** cargo as the runner can start it: rustup's proxy (root's ~/.cargo/bin, with its RUSTUP_HOME) or the distribution's. */
function cargoFor(runner: Runner): { path: string; env: NodeJS.ProcessEnv } | undefined {
  const found = spawnSync("sh", ["-c", "command -v cargo"], { encoding: "utf8" }).stdout.trim();
  if (runner !== "srt-test" && found !== "") {
    const rustupHome = process.env["RUSTUP_HOME"] ?? `${process.env["HOME"] ?? "/root"}/.rustup`;
    // cargo runs rustc from PATH (rustup's proxies sit beside it).
    const path = `${dirname(found)}:${PATH}`;
    return { path: found, env: existsSync(rustupHome) ? { RUSTUP_HOME: rustupHome, PATH: path } : { PATH: path } };
  }
  return existsSync("/usr/bin/cargo") ? { path: "/usr/bin/cargo", env: {} } : undefined;
}

const layout = {
  "home/.cargo/config.toml": "# the host's cargo configuration\n",
  "home/.cargo/bin/": null,
  "work/Cargo.toml": '[package]\nname = "tiny"\nversion = "0.1.0"\nedition = "2021"\n',
  "work/src/main.rs": 'fn main() { println!("tiny"); }\n',
};

const script = (cargo: string): string =>
  [
    `${cargo} build --offline -q && echo build=ok || echo build=failed`,
    "echo run=$(./target/debug/tiny)",
    "echo x > ~/.cargo/registry/probe && echo registry=written || echo registry=refused",
    "mkdir -p ~/.cargo/git/checkouts/x && echo git=written || echo git=refused",
    ...[
      ["config-toml", "config.toml"],
      ["config", "config"],
      ["credentials", "credentials.toml"],
      ["bin", "bin/cargo-evil"],
      ["env", "env"],
      ["beside", "registry-2"],
    ].map(([key, file]) => `echo x >> ~/.cargo/${file} 2>/dev/null && echo ${key}=written || echo ${key}=refused`),
  ].join("\n");

describe.skipIf(lacking(!supported, skipReason))("rust preset with the real cargo", () => {
  if (missingTestUser) unavailable("as srt-test: user srt-test does not exist (useradd -m srt-test)");
  describe.each(runners)("as %s", (runner) => {
    const cargo = cargoFor(runner);
    if (cargo === undefined) {
      unavailable(`as ${runner}: cargo is not installed (apt-get install cargo)`);
      return;
    }
    it("cargo build --offline works; registry/ and git/ are created and writable; config, credentials, bin/ are not", async (ctx) => {
      const b = useBox(ctx, runner, layout, { extends: ["rust"] });
      const out = await sh(b, script(cargo.path), { env: cargo.env, timeoutMs: 120_000 });
      expect(out.status, out.stderr).toBe(0);
      expect(report(out)).toEqual({
        build: "ok",
        run: "tiny",
        registry: "written",
        git: "written",
        "config-toml": "refused",
        config: "refused",
        credentials: "refused",
        bin: "refused",
        env: "refused",
        beside: "refused",
      });
      expect(read(b.at("home/.cargo/config.toml"))).toBe("# the host's cargo configuration\n");
      expect(existsSync(b.at("home/.cargo/bin/cargo-evil"))).toBe(false);
      expect(statSync(b.at("home/.cargo/git")).isDirectory()).toBe(true);
      expect(read(b.at("home/.cargo/registry/probe"))).toBe("x\n");
    }, 150_000);
  });
});
