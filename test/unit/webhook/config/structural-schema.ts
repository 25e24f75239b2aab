// Validates an object against a CRD's openAPIV3Schema as the API server does with strict field validation
// (`kubectl apply --validate=strict`): types, required fields, enums, nullable, and unknown fields refused
// unless the schema preserves them. Only the structural-schema subset that CRDs may use is supported; any
// other keyword fails loudly so a schema cannot quietly go unchecked.
const KNOWN = new Set(["type", "properties", "required", "items", "additionalProperties", "enum", "nullable", "description", "x-kubernetes-preserve-unknown-fields", "format"]);

export type StructuralSchema = Record<string, unknown>;

export function validateStructural(value: unknown, schema: StructuralSchema, path = ""): string[] {
  for (const key of Object.keys(schema)) if (!KNOWN.has(key)) throw new Error(`${path || "/"}: schema keyword ${key} is not supported by this validator`);
  // ObjectMeta is validated by the API server itself, not by the CRD's schema.
  if (path === "/metadata") return [];
  if (value === null) return schema["nullable"] === true ? [] : [`${path || "/"}: null is not allowed`];
  const problems: string[] = [];
  const type = schema["type"];
  const actual = Array.isArray(value) ? "array" : Number.isInteger(value) ? "integer" : typeof value;
  const fits = type === actual || (type === "number" && actual === "integer");
  if (type !== undefined && !fits) return [`${path || "/"}: expected ${String(type)}, found ${actual}`];
  if (Array.isArray(schema["enum"]) && !schema["enum"].includes(value)) problems.push(`${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema["enum"])}`);
  if (type === "array") {
    (value as unknown[]).forEach((item, index) => problems.push(...validateStructural(item, schema["items"] as StructuralSchema, `${path}/${index}`)));
  }
  if (type === "object") {
    const record = value as Record<string, unknown>;
    for (const key of (schema["required"] as string[] | undefined) ?? []) if (!(key in record)) problems.push(`${path}/${key}: required`);
    const properties = schema["properties"] as Record<string, StructuralSchema> | undefined;
    const additional = schema["additionalProperties"] as StructuralSchema | undefined;
    for (const [key, child] of Object.entries(record)) {
      const childSchema = properties?.[key] ?? additional;
      if (childSchema !== undefined) problems.push(...validateStructural(child, childSchema, `${path}/${key}`));
      else if (schema["x-kubernetes-preserve-unknown-fields"] !== true && !(path === "" && key === "metadata")) problems.push(`${path}/${key}: unknown field`);
    }
  }
  return problems;
}
