import {
  DocumentCache,
  normalizeProps,
  normalizeWire,
  parseEmbedded,
  pathOf,
  walkKnownStrings,
  walkLeaves,
  type Leaf,
  type Tree,
} from "../../../policies/detect/walk";
import { DEFAULT_PUBLIC_PREFIXES } from "../../../policies/detect/client-surfaces";
import { ScanCache } from "../../../policies/detect/scanner";
import { UNKNOWN_SENTINELS, isUnknown, rawProps } from "../../../policies/detect/unknowns";
import * as pulumi from "@pulumi/pulumi";
import { unknownCheckingProxy } from "@pulumi/policy";
import { generateStack } from "../../../bench/generate";

const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const leaves = (t: Tree, prefixes: string[] = []) => {
  const out: Leaf[] = [];
  walkLeaves(t, (l) => out.push(l), { publicPrefixes: prefixes });
  return out;
};

describe("walkLeaves", () => {
  it("visits every primitive once with its path, through mixed arrays and nulls", () => {
    const t = normalizeWire({ a: [1, "two", null, { b: [true, [null, "x"]] }], c: null, d: {} });
    const got = leaves(t)
      .map((l) => `${pathOf(l.node)}=${String(l.value)}`)
      .sort();
    expect(got).toEqual(
      [
        "a[0]=1",
        "a[1]=two",
        "a[2]=null",
        "a[3].b[0]=true",
        "a[3].b[1][0]=null",
        "a[3].b[1][1]=x",
        "c=null",
      ].sort(),
    );
  });

  it("quotes keys that hold a dot, a bracket or a blank, as Pulumi writes property paths", () => {
    // An AssetArchive's "." entry and a ConfigMap's file name are keys, not two segments.
    const t = normalizeWire({
      code: { assets: { ".": "x" } },
      data: { "config.yaml": "y", "": "z", "a b": "w" },
    });
    const got = leaves(t)
      .map((l) => pathOf(l.node))
      .sort();
    expect(got).toEqual(['code.assets["."]', 'data[""]', 'data["a b"]', 'data["config.yaml"]'].sort());
  });

  it("survives deep nesting without recursion", () => {
    let deep: Record<string, unknown> = { leaf: "bottom" };
    for (let i = 0; i < 20_000; i++) deep = { n: deep };
    const got = leaves(normalizeWire(deep));
    expect(got).toHaveLength(1);
    expect(got[0].value).toBe("bottom");
  });

  it("names values by map key and by {name, value} entries, and marks public prefixes", () => {
    const t = normalizeWire({
      environment: { variables: { NEXT_PUBLIC_X: "1", SERVER_Y: "2" } },
      env: [{ name: "VITE_Z", value: "3", other: "4" }],
    });
    const byValue = Object.fromEntries(leaves(t, ["NEXT_PUBLIC_", "VITE_"]).map((l) => [String(l.value), l]));
    expect(byValue["1"]).toMatchObject({
      envName: "NEXT_PUBLIC_X",
      publicName: "NEXT_PUBLIC_X",
      top: "environment",
    });
    expect(byValue["2"]).toMatchObject({ envName: "SERVER_Y", publicName: null });
    expect(byValue["3"]).toMatchObject({ envName: "VITE_Z", publicName: "VITE_Z" });
    // The entry's name applies to its value, not to unrelated siblings.
    expect(byValue["4"].envName).toBeNull();
  });

  it("descends into JSON and YAML held in strings and records a name chain", () => {
    const t = normalizeWire({
      defs: JSON.stringify([
        { environment: [{ name: "SANDBOX_ENV_VARS", value: JSON.stringify({ E2B_API_KEY: "v" }) }] },
      ]),
      manifest: "kind: ConfigMap\ndata:\n  E2B_THING: yes-e2b\n",
    });
    const all = leaves(t);
    const inner = all.find((l) => l.value === "v")!;
    expect(pathOf(inner.node)).toBe("defs{json}[0].environment[0].value{json}.E2B_API_KEY");
    expect(inner.nameChain).toBe("/SANDBOX_ENV_VARS/E2B_API_KEY");
    expect(inner.embedded).toBe(true);
    expect(all.find((l) => l.value === "yes-e2b")?.envName).toBe("E2B_THING");
  });

  it("marks unknown sentinels instead of throwing", () => {
    const got = leaves(normalizeWire({ a: UNKNOWN, b: [UNKNOWN] }));
    expect(got.every((l) => l.unknown)).toBe(true);
    expect([...UNKNOWN_SENTINELS].every(isUnknown)).toBe(true);
    expect(isUnknown("04da6b54-80e4-46f7-96ec-b56ff0331ba8")).toBe(false);
  });
});

describe("walkKnownStrings", () => {
  const knownStringLeaves = (t: Tree) =>
    leaves(t)
      .filter((l) => typeof l.value === "string" && !l.unknown)
      .map((l) => l.value);
  const strings = (t: Tree) => {
    const out: string[] = [];
    walkKnownStrings(t, (s) => out.push(s));
    return out;
  };

  it("gives the known strings walkLeaves visits, documents' strings included, in the same order", () => {
    const t = normalizeWire({
      defs: JSON.stringify([{ environment: [{ name: "E2B_SECRET_ARN", value: "arn:e2b/prod" }] }]),
      manifest: "kind: ConfigMap\ndata:\n  E2B_THING: yes-e2b\n",
      arn: UNKNOWN,
      n: [1, true, null, "last"],
    });
    expect(strings(t)).toEqual(knownStringLeaves(t));
    expect(strings(t)).toContain("arn:e2b/prod");
    expect(strings(t)).not.toContain(UNKNOWN);
  });

  it("agrees with walkLeaves over a generated stack's inputs and outputs", () => {
    const { export: state } = generateStack(300, { seed: 9 });
    const resources = (state as { deployment: { resources: Array<{ inputs?: Tree; outputs?: Tree }> } })
      .deployment.resources;
    let compared = 0;
    for (const r of resources)
      for (const raw of [r.inputs, r.outputs]) {
        if (raw === undefined) continue;
        const t = normalizeWire(raw);
        expect(strings(t)).toEqual(knownStringLeaves(t));
        compared++;
      }
    expect(compared).toBeGreaterThan(300);
  });
});

describe("reading props without the unknown-checking proxy", () => {
  it("returns the raw target, so unknowns are seen, not thrown", () => {
    const proxied = unknownCheckingProxy({ a: UNKNOWN, nested: { b: UNKNOWN } });
    expect(() => (proxied as { a: unknown }).a).toThrow();
    const raw = rawProps(proxied);
    expect(raw.a).toBe(UNKNOWN);
    expect(leaves(normalizeWire(raw)).filter((l) => l.unknown)).toHaveLength(2);
  });
});

describe("normalize", () => {
  it("unwraps wire secrets and tags assets", () => {
    const sig = "4dabf18193072939515e22adb298388d";
    const t = normalizeWire({
      s: { [sig]: "1b47061264138c4ac30d75fd1eb44270", value: "plain" },
      enc: { [sig]: "1b47061264138c4ac30d75fd1eb44270", ciphertext: "xyz" },
      a: { [sig]: "c44067f5952c0a294b673a41bacd8c17", text: "inline" },
    });
    expect(t).toEqual({ s: "plain", enc: "[secret]", a: { $asset: "string", text: "inline" } });
  });

  it("resolves SDK asset and archive contents", async () => {
    const t = await normalizeProps({
      code: new pulumi.asset.AssetArchive({ "index.js": new pulumi.asset.StringAsset("hello") }),
      file: new pulumi.asset.FileAsset("/tmp/x"),
      folder: new pulumi.asset.FileArchive("./app"),
      remote: new pulumi.asset.RemoteArchive("https://example.com/app.zip"),
    });
    // The same tags as the wire format's, so one scanner reads both.
    expect(t).toEqual({
      code: { $archive: "assets", assets: { "index.js": { $asset: "string", text: "hello" } } },
      file: { $asset: "file", path: "/tmp/x" },
      folder: { $archive: "file", path: "./app" },
      remote: { $archive: "remote", uri: "https://example.com/app.zip" },
    });
  });

  it("drops cycles rather than looping", () => {
    const a: Record<string, unknown> = { x: 1 };
    a.self = a;
    expect(normalizeWire(a)).toEqual({ x: 1, self: null });
  });
});

describe("parseEmbedded", () => {
  it("ignores prose with a colon", () => {
    expect(parseEmbedded("note: this is a sentence about e2b")).toBeNull();
  });
  it("reads multi-document YAML", () => {
    const r = parseEmbedded("a: 1\n---\nb: 2\n");
    expect(r).toEqual({ kind: "yaml", doc: [{ a: 1 }, { b: 2 }] });
  });
  it("reads YAML with unknown tags without printing the parser's warning (it quotes the line, key and all)", () => {
    const key = "e2b_" + "0123456789abcdef".repeat(3).slice(0, 40);
    const warn = jest.spyOn(process, "emitWarning").mockImplementation(() => undefined);
    const log = jest.spyOn(console, "warn").mockImplementation(() => undefined);
    try {
      expect(parseEmbedded(`kind: Secret\ndata:\n  KEY: !Secret ${key}\n`)).toEqual({
        kind: "yaml",
        doc: { kind: "Secret", data: { KEY: key } },
      });
      expect(warn).not.toHaveBeenCalled();
      expect(log).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
      log.mockRestore();
    }
  });
});

describe("one run's documents and scans (parsed and scanned once per run)", () => {
  const container = JSON.stringify([
    { name: "agent", environment: [{ name: "E2B_API_KEY", value: UNKNOWN }], image: "e2b/agent" },
  ]);
  const taskDefinition = (): Tree => normalizeWire({ family: "agent", containerDefinitions: container });
  const described = (ls: Leaf[]) => ls.map((l) => `${pathOf(l.node)}|${l.envName}|${l.parsed}|${l.embedded}`);

  it("walks a tree with the run's documents exactly as without them, parsing each text once", () => {
    const documents = new DocumentCache();
    const withCache: Leaf[] = [];
    for (const t of [taskDefinition(), taskDefinition()])
      walkLeaves(t, (l) => withCache.push(l), { documents });
    // Both walks read the one parsed copy of the container JSON.
    const inDocument = withCache.filter((l) => l.embedded);
    expect(inDocument).toHaveLength(8);
    expect(inDocument[4].container).toBe(inDocument[0].container);
    expect(described(withCache)).toEqual([
      ...described(leaves(taskDefinition())),
      ...described(leaves(taskDefinition())),
    ]);
    expect(described(withCache)).toContain(
      "containerDefinitions{json}[0].environment[0].value|E2B_API_KEY|false|true",
    );
  });

  it("gives a resource policy's scan of a tree to the stack policies that scan the same tree", () => {
    const scans = new ScanCache();
    const t = taskDefinition();
    const atAnalyze = scans.scan("aws:ecs/taskDefinition:TaskDefinition", t);
    expect(atAnalyze.unknowns.map((l) => l.envName)).toEqual(["E2B_API_KEY"]);
    // A configured prefix list equal to the default is the same scan; another list or tree is not.
    expect(scans.scan("aws:ecs/taskDefinition:TaskDefinition", t, [...DEFAULT_PUBLIC_PREFIXES])).toBe(
      atAnalyze,
    );
    expect(scans.scan("aws:ecs/taskDefinition:TaskDefinition", t, ["MY_"])).not.toBe(atAnalyze);
    expect(scans.scan("aws:ecs/taskDefinition:TaskDefinition", taskDefinition())).not.toBe(atAnalyze);
  });
});
