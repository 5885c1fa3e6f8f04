/**
 * A small client for E2B's Secrets API (`/secrets`, spec/openapi.yml of e2b-dev/E2B): create, read,
 * update (a new version), delete. Authentication is the management credential (dashboard bearer
 * token + `X-Team-ID`), which the spec accepts for `/secrets` as it does for `/api-keys`; retries and
 * error messages are the API-key client's. Values are write-only: no response carries one, and no
 * message here ever includes one.
 */
import { E2BApiError, call, type ManagementSettings } from "../api-key/client";

/** One secret as E2B returns it: metadata only. */
export interface E2BSecretInfo {
  secretID: string;
  name: string;
  currentVersion: number;
  metadata?: Record<string, string>;
  createdAt?: string;
  updatedAt?: string;
}

const path = (idOrName: string) => `/secrets/${encodeURIComponent(idOrName)}`;

function info(body: unknown, what: string): E2BSecretInfo {
  const b = body as Partial<E2BSecretInfo> | undefined;
  if (!b || typeof b.secretID !== "string" || typeof b.name !== "string")
    throw new E2BApiError(`${what}: expected a secret (secretID, name)`, undefined, undefined, false);
  return b as E2BSecretInfo;
}

/**
 * Create a secret without clobbering someone else's: a name already taken before we start is refused.
 * A lost response may still have created it, so a 409 on a retry (the name was free when we
 * started) is our own create: the value is written again as a new version and the secret adopted.
 */
export async function createSecret(
  settings: ManagementSettings,
  teamId: string,
  name: string,
  value: string,
  metadata: Record<string, string>,
): Promise<E2BSecretInfo> {
  if (await getSecret(settings, teamId, name)) {
    throw new E2BApiError(
      `E2B API: a secret named "${name}" already exists in team ${teamId}; import it into this stack ` +
        `(\`pulumi import\`) or delete it in the dashboard, then run \`pulumi up\` again`,
      409,
      undefined,
      false,
    );
  }
  try {
    const res = await call(settings, teamId, "POST", "/secrets", (s) => s === 201 || s === 200, {
      name,
      value,
      metadata,
    });
    return info(res.body, "POST /secrets");
  } catch (e) {
    if ((e as E2BApiError).status !== 409) throw e;
    return updateSecret(settings, teamId, name, value, metadata);
  }
}

/** The secret's metadata, or undefined when it is gone (404). */
export async function getSecret(
  settings: ManagementSettings,
  teamId: string,
  idOrName: string,
): Promise<E2BSecretInfo | undefined> {
  const res = await call(settings, teamId, "GET", path(idOrName), (s) => s === 200 || s === 404);
  return res.status === 404 ? undefined : info(res.body, `GET ${path(idOrName)}`);
}

/** Store a new value as the secret's next version. */
export async function updateSecret(
  settings: ManagementSettings,
  teamId: string,
  idOrName: string,
  value: string,
  metadata: Record<string, string>,
): Promise<E2BSecretInfo> {
  const res = await call(settings, teamId, "POST", path(idOrName), (s) => s === 200, { value, metadata });
  return info(res.body, `POST ${path(idOrName)}`);
}

/** Delete a secret; one that is already gone (404) counts as deleted. */
export async function deleteSecret(
  settings: ManagementSettings,
  teamId: string,
  idOrName: string,
): Promise<void> {
  await call(settings, teamId, "DELETE", path(idOrName), (s) => s === 204 || s === 200 || s === 404);
}
