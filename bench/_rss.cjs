// Preloaded into the srt process by bench/sandbox.mjs: report its peak RSS (KiB) at exit.
process.on("exit", () => {
  const file = process.env.SRT_BENCH_RSS_FILE;
  if (file) require("node:fs").appendFileSync(file, `${process.resourceUsage().maxRSS}\n`);
});
