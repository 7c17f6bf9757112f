/** A copy of a JSON body with one field (a path into nested objects) set to `value`: one case changes one field. */
export function withField(base: unknown, fieldPath: readonly string[], value: unknown): unknown {
  const copy = structuredClone(base) as Record<string, unknown>;
  let target = copy;
  for (const key of fieldPath.slice(0, -1)) target = target[key] as Record<string, unknown>;
  target[fieldPath.at(-1)!] = value;
  return copy;
}
