/**
 * One small interface every secret-store adapter implements, so adding a store is one file plus one
 * line in `index.ts`. An adapter puts the key in exactly one secret resource of its store and
 * grants read access to exactly the principals it is given — nobody else.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { Environment, SecretStore, SecretStoreKind } from "../../policies/model";

export interface StoreRequest<S extends SecretStore = SecretStore> {
  /** Prefix for the adapter's resource names (the component's name). */
  name: string;
  environment: Environment;
  store: S;
  /** The raw key, as a secret Output. Only the store's secret resource may receive it. */
  key: pulumi.Output<string>;
  /**
   * Principals allowed to read the key: the environment's `readers`, plus principals the component
   * itself creates that must read it (the monitor's role).
   */
  readers: pulumi.Input<string>[];
  /** Labels/tags every resource carries, so the pack can tell which environment it belongs to. */
  tags: Record<string, string>;
  parent: pulumi.Resource;
}

export interface StoredKey {
  /** `secretReference(store)`: stable, human-readable, compared across environments by the pack. */
  reference: string;
  /** The resource whose inputs hold the key material. */
  secret: pulumi.Resource;
  /** The resources that grant read access. */
  grants: pulumi.Resource[];
  /**
   * Where a runtime finds the key (an ARN, a resource id, a path): what a function's configuration
   * may carry instead of the key itself.
   */
  locator: pulumi.Output<string>;
}

export interface SecretStoreAdapter<K extends SecretStoreKind = SecretStoreKind> {
  kind: K;
  /** Cloud the store lives in: the AWS monitor can only read keys from AWS stores with its role. */
  cloud: "aws" | "gcp" | "azure" | "vault" | "pulumi";
  store(req: StoreRequest<Extract<SecretStore, { kind: K }>>): StoredKey;
}
