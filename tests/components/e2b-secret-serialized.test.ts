/**
 * The E2B Secret provider as Pulumi ships it: serialised, loaded back as the dynamic-provider host
 * loads it, configured from stack config, then run against the local E2B API server.
 */
import * as pulumi from "@pulumi/pulumi";
import { SECRET_KIND, secretProvider } from "../../components/e2b-secret/provider";
import { E2B_SECRET_KIND } from "../../policies/model";
import { secretsOf, sha256, startE2BServer, type E2BServer } from "../support/e2b-api";

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

test("the serialised secret provider holds no credential and works after deserialisation", async () => {
  const { teamId, bearerToken } = server.state.addTeam();
  const serialized = await pulumi.runtime.serializeFunction(() => secretProvider, { allowSecrets: false });
  expect(serialized.containsSecrets).toBe(false);
  expect(serialized.text).not.toContain(bearerToken);

  const provider = requireFromString(serialized.text).handler();
  await provider.configure!({
    config: new Config({ "e2b:managementToken": bearerToken, "e2b:apiUrl": server.url }, "e2b-platform"),
  });
  const value = "hf_" + "x".repeat(34);
  const { id, outs } = await provider.create({
    kind: E2B_SECRET_KIND,
    name: "hf-token",
    environment: "staging",
    teamId,
    hosts: ["huggingface.co"],
    value,
  });
  expect(secretsOf(server.state, teamId).get(id)?.valueSha256).toBe(sha256(value));
  expect(JSON.stringify(outs)).not.toContain(value);
  await provider.delete!(id, outs);
  expect(secretsOf(server.state, teamId).size).toBe(0);
});

test("the provider's copy of the secret marker equals the model's", () => {
  expect(SECRET_KIND).toBe(E2B_SECRET_KIND);
});
