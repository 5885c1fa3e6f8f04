import { PolicyPack } from "@pulumi/policy";
import { keyOnlyInKeyStores } from "./e2b-01-key-only-in-key-stores";

new PolicyPack("e2b-guardrails", {
  policies: [keyOnlyInKeyStores],
});
