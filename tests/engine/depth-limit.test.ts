import { FLATTENED_KEY, limitDepth } from "../../engine/depth-limit";
import type { WireValue } from "../../engine/graph";

describe("limitDepth", () => {
  it("returns shallow values unchanged (same object, no copy)", () => {
    const v = { a: { b: [1, { c: "x" }] } };
    expect(limitDepth(v)).toBe(v);
  });

  it("flattens subtrees past the limit, keeping every leaf and property name", () => {
    let deep: WireValue = { secret: "leaf", "odd name": 1 };
    for (let i = 0; i < 5000; i++) deep = { level: deep };
    const out = limitDepth({ root: deep } as { [k: string]: WireValue }, 10);
    let cur: WireValue = out;
    for (let i = 0; i < 10; i++) cur = Object.values(cur as object)[0] as WireValue;
    const flat = (cur as Record<string, Record<string, WireValue>>)[FLATTENED_KEY];
    const values = Object.values(flat);
    expect(values).toEqual(expect.arrayContaining(["leaf", 1, "secret", "odd name"]));
    expect(Object.keys(flat).find((k) => flat[k] === "leaf")).toMatch(
      /^level\.level\.level\.level\.secret#\d+$/,
    );
  });
});
