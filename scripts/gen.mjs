// Generates the settings types and the precompiled validator from the schema.
// `--check` regenerates in memory and fails when the committed files drifted,
// so the schema stays the single source of truth (CI runs it).
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import Ajv from "ajv";
import standaloneCode from "ajv/dist/standalone/index.js";
import { compile } from "json-schema-to-typescript";

const root = fileURLToPath(new URL("..", import.meta.url));
const schemaPath = `${root}schema/settings.schema.json`;
const schema = JSON.parse(readFileSync(schemaPath, "utf8"));
const banner = "// GENERATED from schema/settings.schema.json by scripts/gen.mjs. Do not edit; run `npm run gen`.\n";

const ajv = new Ajv.default({ code: { source: true, esm: false }, allErrors: true, strict: true });
const validate = ajv.compile(schema);
const validatorSource = banner + standaloneCode.default(ajv, validate);

const types = await compile(schema, "SrtSettings", {
  bannerComment: banner.trim(),
  additionalProperties: false,
  unreachableDefinitions: false,
  format: true,
  style: { singleQuote: false },
});

// Just enough of ajv's error shape for src/compiler/validate.ts.
const declaration = `declare function validate(data: unknown): boolean;
declare namespace validate {
  interface SettingsValidationError {
    instancePath: string;
    schemaPath: string;
    keyword: string;
    params: Record<string, unknown>;
    message?: string;
  }
  let errors: SettingsValidationError[] | null | undefined;
}
export = validate;
`;

const outputs = [
  [`${root}src/compiler/validate-settings.gen.cjs`, validatorSource],
  [`${root}src/compiler/settings.gen.ts`, types],
  [`${root}src/compiler/validate-settings.gen.d.cts`, banner + declaration],
];

const check = process.argv.includes("--check");
let drift = 0;
for (const [file, text] of outputs) {
  if (check) {
    let current = "";
    try {
      current = readFileSync(file, "utf8");
    } catch {
      /* missing counts as drift */
    }
    if (current !== text) {
      console.error(`gen: ${file.slice(root.length)} is out of date with the schema; run \`npm run gen\` and commit.`);
      drift++;
    }
  } else {
    writeFileSync(file, text);
    console.log(`gen: wrote ${file.slice(root.length)}`);
  }
}
process.exit(drift ? 1 : 0);
