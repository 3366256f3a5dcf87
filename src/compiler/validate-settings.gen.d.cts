// GENERATED from schema/settings.schema.json by scripts/gen.mjs. Do not edit; run `npm run gen`.
declare function validate(data: unknown): boolean;
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
