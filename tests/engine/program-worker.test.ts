/** How a failed program's error reads on the first line, the one a user sees. */
import { failureLines } from "../../engine/program-worker";
import { redactMaterial } from "../../policies/detect/redact";

const KEY = "e2b_" + "5d0c9a7be31f42a86c0d9e1b7a3f5c2e8d4b6a19";

describe("failureLines", () => {
  it("puts the error first, without the SDK's heading", () => {
    const text = "Running program '/p/index.ts' failed with an unhandled exception:\nError: boom\n    at x";
    expect(failureLines(text, 1)).toBe("Error: boom");
  });

  it("drops util.inspect's mark of an error that refers to itself", () => {
    const text =
      "Running program '/p/index.ts' failed with an unhandled exception:\n<ref *1> RangeError: error serializing property \"policy\": Maximum call stack size exceeded\n    at serializeProperty";
    expect(failureLines(text, 1)).toBe(
      'RangeError: error serializing property "policy": Maximum call stack size exceeded',
    );
  });

  it("says an invoke transform is unsupported by this tool, not by the Pulumi CLI", () => {
    const text = "Error: The Pulumi CLI does not support transforms. Please update the Pulumi CLI\n    at y";
    expect(failureLines(text, 1)).toBe(
      "Error: e2b-guardrails' offline preview does not run invoke transforms (registerInvokeTransform); preview this program with `pulumi preview --policy-pack` instead",
    );
  });

  it("keeps a closure serializer's chain down to what could not be serialized", () => {
    // As aws-ts-eks-distro fails: each line names one capture, the last one the cause.
    const chain = [
      "Error serializing '() => provider': index.js(50,43)",
      "",
      "'() => provider': index.js(50,43): captured",
      "  variable 'cp' which indirectly referenced",
      ...Array.from(
        { length: 10 },
        (_, i) => `    function 'f${i}': index.js(${i},1): which captured 'x${i}', a function defined at`,
      ),
      "      function '<anonymous>': which could not be serialized because it was a native code function.",
      "",
      "Function code:",
      "  function () { [native code] }",
    ];
    const shown = failureLines(
      `Running program '/p/index.ts' failed with an unhandled exception:\n${chain.join("\n")}`,
      6,
    );
    expect(shown.split("\n")[0]).toBe(chain[0]);
    expect(shown).toContain("which could not be serialized because it was a native code function");
  });

  it("never cuts a wrapped blob the error echoes: kept whole, the redactor masks the key in it", () => {
    // A parse error that echoes its input: base64 of a .env, wrapped at 76 columns, the key across the
    // sixth line's end. Cut there, line 6 would spell most of the key and decode to none.
    const blob = Buffer.from(`${"#".repeat(238)}\nE2B_API_KEY=${KEY}\n`).toString("base64");
    const text = `Error: could not parse the bundle:\n${blob.match(/.{1,76}/g)!.join("\n")}\n    at parse`;
    const shown = failureLines(text, 6);
    expect(shown.split("\n").length).toBeGreaterThan(6);
    const safe = redactMaterial(shown);
    expect(safe).toMatch(/\(encoded\)|key material written in groups/);
    expect(safe).not.toMatch(/[A-Za-z0-9+/]{60,}/);
    expect(safe).not.toContain("at parse");
  });

  it("never cuts a blob whose lines hold something else too (a code frame)", () => {
    const blob = Buffer.from(`${"#".repeat(238)}\nE2B_API_KEY=${KEY}\n`).toString("base64");
    const frame = blob.match(/.{1,60}/g)!.map((r, i) => `  ${i + 1} | ${r}`);
    const shown = failureLines(`SyntaxError: bad payload\n${frame.join("\n")}\n    at parse`, 6);
    expect(shown.split("\n")).toHaveLength(frame.length + 1);
    expect(redactMaterial(shown)).toContain("(encoded)");
  });

  it("never cuts hex rows behind a frame, whose last row is a few digits (xxd -p of the key, quoted)", () => {
    const rows = Buffer.from(KEY)
      .toString("hex")
      .match(/.{1,86}/g)!;
    expect(rows[1]).toHaveLength(2);
    const text = ["cannot parse config", "a", "b", "c", "d", ...rows.map((r) => `  row: ${r}`), "end"].join(
      "\n",
    );
    const shown = failureLines(text, 6);
    expect(shown.split("\n")).toHaveLength(7);
    const safe = redactMaterial(shown);
    expect(safe).toMatch(/\(encoded\)|key material written in groups/);
    expect(safe).not.toContain(rows[0].slice(0, 16));
  });

  it("leaves out a blob too long to keep, with a notice", () => {
    const line = "QUJD".repeat(19);
    const text = `Error: bad input:\n${Array.from({ length: 1000 }, () => line).join("\n")}`;
    expect(failureLines(text, 6)).toBe("Error: bad input:\n[a long block of encoded text is not shown]");
  });
});
