/**
 * A policy-pack config naming what the pack does not have. The Pulumi CLI checks only each policy's
 * `properties`/`required` and hands the rest to the pack's Configure, so the pack itself refuses it:
 * driven here as the CLI drives it, over gRPC, with a config our own engine would never send.
 */
import * as grpc from "@grpc/grpc-js";
import { startPackProcess } from "../../engine/pack-process";
import { defaultPackDir } from "../../scan/pack-dir";
import { firstUnknownSetting, unknownPolicy, unknownSetting } from "../../policies/config-settings";
import { policies } from "../../policies/policies";
import { PLANTED } from "./helpers";

const KEY = `e2b_${PLANTED[0]}`;

const MOVED = "e2b-01-key-only-in-key-stores";
const OWNER = "e2b-01-key-from-secret-store";
const OWNERS = `e2b-01-no-client-side-key, ${OWNER}, e2b-06-no-key-in-sandbox`;

describe("what a pack config may name", () => {
  it("accepts every policy's own settings, its level and 'all' with a level", () => {
    const config: [string, Record<string, unknown>][] = policies.map((p) => [
      p.name,
      { enforcementLevel: "advisory", waivers: [] },
    ]);
    expect(firstUnknownSetting(policies, [...config, ["all", {}]])).toBeUndefined();
  });

  it("names the policy that has a setting left under another", () => {
    expect(unknownSetting(policies, MOVED, "keyNamePattern")).toBe(
      `field '${MOVED}.keyNamePattern': policy '${MOVED}' has no setting 'keyNamePattern' (it is a setting of ${OWNERS})`,
    );
  });

  it("refuses a misspelt policy and a setting under 'all'", () => {
    expect(unknownPolicy(policies, "e2b-01-no-client-side-keys")).toBe(
      "field 'e2b-01-no-client-side-keys': the pack has no policy named 'e2b-01-no-client-side-keys'",
    );
    expect(unknownSetting(policies, "all", "keyNamePattern")).toMatch(
      /^field 'all\.keyNamePattern': 'all' sets only an enforcement level \(it is a setting of /,
    );
  });

  it("never repeats key material from a name in the file, in any encoding, before or after a cut", () => {
    const hex = Buffer.from(KEY).toString("hex");
    const b64 = Buffer.from(`E2B_API_KEY=${KEY}`).toString("base64");
    for (const name of [KEY, hex, b64, `x${"y".repeat(100)}${hex}`]) {
      const problems = [
        firstUnknownSetting(policies, [[MOVED, { [name]: 1 }]])!,
        firstUnknownSetting(policies, [[name, {}]])!,
      ];
      for (const problem of problems) {
        expect(problem).toMatch(/has no setting|has no policy named/);
        for (const copy of [PLANTED[0], hex, b64])
          for (let i = 0; i + 16 <= copy.length; i++) expect(problem).not.toContain(copy.slice(i, i + 16));
      }
    }
  });
});

describe("the pack at Configure, as the Pulumi CLI calls it", () => {
  const pack = startPackProcess(defaultPackDir);
  pack.adopt();
  afterAll(() => void pack.child.kill());

  async function configure(
    config: Record<string, Record<string, unknown>>,
  ): Promise<grpc.ServiceError | null> {
    const load = (m: string) => require(require.resolve(m, { paths: [pack.pulumiDir] }));
    const pb = load("@pulumi/pulumi/proto/analyzer_pb");
    const { Struct } = load("google-protobuf/google/protobuf/struct_pb");
    const { AnalyzerClient } = load("@pulumi/pulumi/proto/analyzer_grpc_pb");
    const grpcOfSdk = load("@grpc/grpc-js");
    const client = new AnalyzerClient(`127.0.0.1:${await pack.port}`, grpcOfSdk.credentials.createInsecure());
    const req = new pb.ConfigureAnalyzerRequest();
    for (const [name, properties] of Object.entries(config)) {
      const pc = new pb.PolicyConfig();
      pc.setEnforcementlevel(1); // mandatory
      pc.setProperties(Struct.fromJavaScript(properties));
      req.getPolicyconfigMap().set(name, pc);
    }
    try {
      return await new Promise((resolve) =>
        client.configure(req, (err: grpc.ServiceError | null) => resolve(err)),
      );
    } finally {
      client.close();
    }
  }

  it("refuses a setting left under the policy it moved from, naming where it lives now", async () => {
    const err = await configure({ [MOVED]: { keyNamePattern: "^E2B_" }, [OWNER]: {} });
    expect(err?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err?.details).toBe(
      `policy config: field '${MOVED}.keyNamePattern': policy '${MOVED}' has no setting 'keyNamePattern' (it is a setting of ${OWNERS})`,
    );
  });

  it("refuses a policy it does not have, without repeating key material", async () => {
    const err = await configure({ [`${KEY}-policy`]: {} });
    expect(err?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err?.details).toMatch(/^policy config: field '.*': the pack has no policy named/);
    expect(err?.details).not.toContain(PLANTED[0]);
  });

  it("accepts the config the CLI reconciles from the pack's own defaults", async () => {
    const config = Object.fromEntries(policies.map((p) => [p.name, { waivers: [] }]));
    expect(await configure({ ...config, all: {} })).toBeNull();
  });
});
