/** How a failed program's error reads on the first line, the one a user sees. */
import { failureLines } from "../../engine/program-worker";

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
});
