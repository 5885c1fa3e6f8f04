import { findMaterial } from "../../../policies/detect/material";
import { fingerprintKey, maskKey, redactKeys } from "../../../policies/detect/keys";

const KEY = "e2b_" + "0123456789abcdef".repeat(3).slice(0, 40);
const TOKEN = "sk_e2b_" + "0123456789abcdef".repeat(3).slice(0, 40);
const HEX = KEY.slice(4);

describe("findMaterial", () => {
  it("finds API keys and access tokens, masks only", () => {
    const m = findMaterial(`key=${KEY} token=${TOKEN}`);
    expect(m.map((x) => x.kind)).toEqual(["api-key", "access-token"]);
    expect(JSON.stringify(m)).not.toContain(HEX);
    expect(m[0].mask).toBe(maskKey(KEY));
    expect(m[0].fingerprint).toBe(fingerprintKey(KEY));
  });

  it("finds base64-encoded keys", () => {
    const m = findMaterial(Buffer.from(`E2B_API_KEY=${KEY}`).toString("base64"));
    expect(m).toHaveLength(1);
    expect(m[0].encoding).toBe("base64");
  });

  it("rejects near misses: wrong length, uppercase, identifiers", () => {
    expect(findMaterial("e2b_code_interpreter")).toEqual([]);
    expect(findMaterial(KEY.slice(0, -1))).toEqual([]);
    expect(findMaterial(KEY + "0")).toEqual([]);
    expect(findMaterial(KEY.toUpperCase())).toEqual([]);
    expect(findMaterial("x" + KEY)).toEqual([]);
  });

  it("is linear: a megabyte of near-misses is fast", () => {
    const text = "e2b_0123 ".repeat(120_000);
    const t0 = Date.now();
    expect(findMaterial(text)).toEqual([]);
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it("redactKeys leaves no key behind", () => {
    expect(redactKeys(`a ${KEY} b ${TOKEN}`)).not.toMatch(/[0-9a-f]{40}/);
  });
});
