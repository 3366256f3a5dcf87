/**
 * srt under Docker on a host where other containers come and go (a private
 * dockerd, test/support/dockerd.ts; root). Without a user image srt binds the
 * host's directories read-only, and this engine's data root and network
 * namespaces lie below one of them (/tmp), as /var/lib/docker lies below /var
 * on a usual host:
 *   - the command cannot see or write into another container's root, whether
 *     it started before srt's run or during it (Docker binds a source holding
 *     its data root rslave: a root mounted during the run arrives below the
 *     read-only bind, read-write), nor into its own container's root: the
 *     engine's stores are empty read-only directories in the container;
 *   - runs succeed while containers start and stop around them (a mount
 *     listed at create time used to be gone at start: "error mounting …
 *     merged: no such file or directory").
 */
import { spawn } from "node:child_process";
import { renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lacking } from "../support/requirements.js";
import {
  dockerClient,
  missingDocker,
  srtContainers,
  startPrivateDocker,
  type PrivateDocker,
} from "../support/dockerd.js";
import { printed, report, srt, startSrt, supported, skipReason, useBox } from "./support.js";

const marker = `dke${process.pid}`;

describe.skipIf(lacking(!supported || missingDocker !== undefined, missingDocker ?? skipReason))(
  "srt under Docker among other containers (a private dockerd)",
  () => {
    let engine: PrivateDocker;
    let env: NodeJS.ProcessEnv;
    beforeAll(async () => {
      engine = await startPrivateDocker();
      env = { DOCKER_HOST: engine.host };
    }, 300_000);
    afterAll(async () => {
      await engine?.stop();
    }, 60_000);

    const startOther = (name: string): string => {
      const run = engine.docker(["run", "-d", "--name", name, "--network", "none", "ubuntu:22.04", "sleep", "120"]);
      expect(run.status, run.stderr).toBe(0);
      const merged = engine.docker(["inspect", "--format", "{{.GraphDriver.Data.MergedDir}}", name]).stdout.trim();
      expect(merged).toMatch(/\/merged$/);
      return merged;
    };

    it("cannot see or write into another container's root (started before or during the run) or its own", async (ctx) => {
      const box = useBox(ctx, "root");
      const before = startOther(`${marker}-before`);
      // Waits (bounded) for the test to name the roots, then tries each.
      const script = [
        "echo ready",
        "i=0; while [ ! -e go ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done",
        "n=0; while read p; do n=$((n + 1))",
        '  [ -e "$p/bin" ] && echo seen$n=yes || echo seen$n=no',
        '  echo x > "$p/escaped" 2>/dev/null && echo wrote$n=yes || echo wrote$n=no',
        "done < go",
        `echo store=$(ls -A ${before.replace(/\/[^/]+\/merged$/, "")} | wc -l)`,
        // The containers' own files (their hosts files, configurations, /dev/shm mounts).
        `echo containers=$(ls -A ${before.replace(/\/overlay2\/[^/]+\/merged$/, "/containers")} | wc -l)`,
      ].join("\n");
      const run = startSrt(box, ["--runtime", "docker", "--settings", box.settings, "-q", "-c", script], {
        env,
        timeoutMs: 60_000,
      });
      await printed(run, "ready");
      const during = startOther(`${marker}-during`);
      const own = srtContainers(engine).map((c) =>
        engine.docker(["inspect", "--format", "{{.GraphDriver.Data.MergedDir}}", c]).stdout.trim(),
      );
      expect(own.length).toBeGreaterThan(0);
      const roots = [before, during, ...own];
      writeFileSync(join(box.work, "go.part"), roots.join("\n") + "\n");
      renameSync(join(box.work, "go.part"), join(box.work, "go"));
      const out = await run.done;
      expect(out.status, out.stderr).toBe(0);
      const expected: Record<string, string> = { store: "0", containers: "0" };
      roots.forEach((_, i) => Object.assign(expected, { [`seen${i + 1}`]: "no", [`wrote${i + 1}`]: "no" }));
      expect(report(out)).toEqual(expected);
      for (const c of [`${marker}-before`, `${marker}-during`]) {
        expect(engine.docker(["exec", c, "cat", "/escaped"]).status).not.toBe(0);
        engine.docker(["rm", "-f", c]);
      }
    });

    it("runs while other containers start and stop around it", { timeout: 240_000 }, async (ctx) => {
      const box = useBox(ctx, "root");
      const stop = join(box.root, "stop-churn");
      // Bounded: at most 60 containers, each removed two later; ends when the runs are done.
      const churn = spawn(
        "sh",
        [
          "-c",
          [
            "i=0",
            'while [ $i -lt 60 ] && [ ! -e "$STOP" ]; do',
            "  i=$((i + 1))",
            '  "$DOCKER" run -d --name "$MARK-churn$i" --network none ubuntu:22.04 sleep 30 >/dev/null 2>&1',
            '  "$DOCKER" rm -f "$MARK-churn$((i - 2))" >/dev/null 2>&1',
            "done",
            'echo "$i"',
          ].join("\n"),
        ],
        {
          env: {
            PATH: "/usr/sbin:/usr/bin:/sbin:/bin",
            DOCKER_HOST: engine.host,
            DOCKER: dockerClient!,
            STOP: stop,
            MARK: marker,
          },
          stdio: ["ignore", "pipe", "ignore"],
        },
      );
      let started = "";
      churn.stdout.setEncoding("utf8").on("data", (d: string) => (started += d));
      const churned = new Promise((r) => churn.once("exit", r));
      const outcomes = [];
      try {
        for (let i = 0; i < 8; i++)
          outcomes.push(
            await srt(box, ["--runtime", "docker", "--settings", box.settings, "-q", "-c", `echo run${i}`], {
              env,
              timeoutMs: 60_000,
            }),
          );
      } finally {
        writeFileSync(stop, "");
        await churned;
        const left = engine
          .docker(["ps", "-aq", "--filter", `name=${marker}-churn`])
          .stdout.split("\n")
          .filter(Boolean);
        if (left.length > 0) engine.docker(["rm", "-f", ...left]);
      }
      // Containers did come and go during the runs.
      expect(Number(started.trim())).toBeGreaterThan(3);
      outcomes.forEach((out, i) => {
        expect(out.stderr).toBe("");
        expect(out.stdout).toBe(`run${i}\n`);
        expect(out.status).toBe(0);
      });
      expect(srtContainers(engine)).toEqual([]);
    });
  },
);
