/**
 * The provider as Pulumi ships it: serialised into the resource's `__provider` input, loaded back the
 * way the dynamic-provider host loads it (`require-from-string(...).handler()`), configured from stack
 * config, then run against the local E2B API server. The serialised text must hold no credential.
 */
import * as pulumi from "@pulumi/pulumi";
import { API_KEY_KIND, apiKeyProvider } from "../../components/api-key/provider";
import { E2B_API_KEY_KIND } from "../../policies/model";
import { isKeyMaterial } from "../../policies/detect/keys";
import { startE2BServer, type E2BServer } from "../support/e2b-api";

const requireFromString = require("require-from-string") as (code: string) => {
  handler: () => pulumi.dynamic.ResourceProvider;
};
const { Config } = require("@pulumi/pulumi/cmd/dynamic-provider/config") as {
  Config: new (raw: Record<string, string>, project: string) => pulumi.dynamic.Config;
};

let server: E2BServer;
beforeAll(async () => {
  server = await startE2BServer();
});
afterAll(() => server.close());

test("the serialised provider holds no credential and works after deserialisation", async () => {
  const { teamId, bearerToken } = server.state.addTeam();
  process.env.E2B_MANAGEMENT_TOKEN_UNUSED = bearerToken; // present in the process, must not be captured
  const serialized = await pulumi.runtime.serializeFunction(() => apiKeyProvider, { allowSecrets: false });
  expect(serialized.containsSecrets).toBe(false);
  expect(serialized.text).not.toContain(bearerToken);
  expect(serialized.text).not.toContain(server.url);

  const provider = requireFromString(serialized.text).handler();
  await provider.configure!({
    config: new Config({ "e2b:managementToken": bearerToken, "e2b:apiUrl": server.url }, "e2b-platform"),
  });
  const { id, outs } = await provider.create({
    kind: E2B_API_KEY_KIND,
    name: "e2b-platform-staging",
    environment: "staging",
    teamId,
    rotation: "1",
  });
  expect(server.state.team(teamId).apiKeys.get(id)?.name).toBe("e2b-platform-staging");
  expect(isKeyMaterial(outs.key)).toBe(true);
  await provider.delete!(id, outs);
  expect(server.state.team(teamId).apiKeys.size).toBe(0);
  delete process.env.E2B_MANAGEMENT_TOKEN_UNUSED;
});

test("the provider's copy of the key marker equals the model's", () => {
  // Kept separate so the serialised provider does not capture the zod-based model module.
  expect(API_KEY_KIND).toBe(E2B_API_KEY_KIND);
});
