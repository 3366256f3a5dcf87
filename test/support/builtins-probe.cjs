// Preloaded with `node -r`: prints the built-in modules Node loaded, as the process exits, on stderr.
// CommonJS, so that the probe itself starts no ES module loader (a `--import` probe would).
process.on("exit", () =>
  process.stderr.write(
    "builtins=" +
      process.moduleLoadList
        .filter((m) => m.startsWith("NativeModule "))
        .map((m) => m.slice(13))
        .join(" ") +
      "\n",
  ),
);
