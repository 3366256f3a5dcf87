/** `srt schema`: the settings JSON Schema, for editors and other tools. */
import { defineCommand } from "./args.js";
import schema from "../../schema/settings.schema.json" with { type: "json" };
import { exitStatus, type CliIo } from "./io.js";

export const schemaCommand = (io: CliIo) =>
  defineCommand({
    meta: { name: "schema", description: "Print the settings JSON Schema" },
    args: {},
    run(): number {
      io.out(JSON.stringify(schema, null, 2) + "\n");
      return exitStatus.ok;
    },
  });
