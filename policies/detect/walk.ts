/** Visit every string leaf of a property tree with its path, linear in the tree's size. */
export type Visit = (value: string, path: string) => void;

export function walkStrings(value: unknown, visit: Visit, path = ""): void {
  if (typeof value === "string") {
    visit(value, path);
  } else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) walkStrings(value[i], visit, `${path}[${i}]`);
  } else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) walkStrings(v, visit, path ? `${path}.${k}` : k);
  }
}
