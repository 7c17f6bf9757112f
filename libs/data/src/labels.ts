import { isDecimalNumber } from './raw-parse';

/**
 * Numeric labels are compared by value, so `1`, `1.0` and `1.0000000e+00`
 * (the UCR 2015 spelling) are the same class, named `1`.
 */
export function canonicalLabel(label: string): string {
  if (!isDecimalNumber(label)) return label;
  const value = Number(label);
  return Number.isFinite(value) ? String(value) : label;
}

/**
 * Sorted, de-duplicated class names: numerically when every label is a number
 * (so -1 < 1 < 2 < 10), otherwise by UTF-16 code units (locale-independent).
 * Index k in the result is class index k.
 */
export function fitClassNames(labels: Iterable<string>): string[] {
  const unique = [...new Set([...labels].map(canonicalLabel))];
  if (unique.every((name) => isDecimalNumber(name) && Number.isFinite(Number(name))))
    return unique.sort((a, b) => Number(a) - Number(b));
  return unique.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Maps original labels to class indices; returns undefined for a label outside `classNames`. */
export function labelIndexer(classNames: readonly string[]): (label: string) => number | undefined {
  const index = new Map(classNames.map((name, k) => [name, k]));
  return (label) => index.get(canonicalLabel(label));
}
