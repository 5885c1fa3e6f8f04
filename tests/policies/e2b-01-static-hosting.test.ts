/**
 * Static hosting surfaces as client-side exposure (policies/detect/client-surfaces.ts and the deployed
 * paths of artifacts.ts): Cloudflare Worker assets and modules, Vercel deployment files, a public
 * Vercel Blob store, a GCS bucket opened to allUsers, a classic-provider Azure blob in `$web`. Through the engine and the real pack.
 */
import { useScanner } from "../support/scan";
import { expectClean, fx, of, status } from "./helpers";

const CLIENT = "e2b-01-no-client-side-key";
const STORES = "e2b-01-key-only-in-key-stores";

describe("E2B-01 on static hosting", () => {
  const scan = useScanner();

  it("fails every file static hosting serves with the key, naming the resource, file and line", async () => {
    const { stack } = await scan.program(fx("static-hosting-keys"), "prod");
    const client = new Map<string, string>();
    for (const f of of(stack, CLIENT)) {
      const n = f.urn.split("::").pop()!;
      client.set(n, `${client.get(n) ?? ""}\n${f.message}`);
    }
    expect(client.get("site-v1")).toMatch(
      /Worker static assets and modules.*\(e2b_…4567\) in app\.js line 4, a file deployed by assets\.directory/,
    );
    expect(client.get("site-v1")).toMatch(
      /\(e2b_…ba98\) in \.\/worker\/index\.js line 3, a file deployed by modules\[0\]\.contentFile/,
    );
    expect(client.get("edge")).toMatch(
      /Cloudflare Worker code.*in \.\/worker\/index\.js line 3.*contentFile/,
    );
    expect(client.get("web-prod")).toMatch(
      /Vercel deployment files.*\(e2b_…c3d4\) in web\/out\/_next\/static\/chunk\.js line 1, a file deployed by files/,
    );
    expect(client.get("public-config")).toMatch(
      /Vercel Blob object.* in \.\/blobs\/public-config\.json line 3/,
    );
    expect(client.get("app.js")).toMatch(/GCS object.*\(e2b_…c3d4\) in \.\/gcs\/app\.js line 1/);
    expect(client.get("classic-app.js")).toMatch(/Azure blob.*\(e2b_…c3d4\) in \.\/gcs\/app\.js line 1/);
    // An Azure container open to anonymous reads, and an API Gateway static route's folder.
    expect(client.get("downloads-app.js")).toMatch(/Azure blob.*\(e2b_…c3d4\) in \.\/gcs\/app\.js line 1/);
    expect(client.get("scw-app.js")).toMatch(
      /Scaleway object.*\(e2b_…c3d4\) in \.\/gcs\/app\.js line 1, a file deployed by file/,
    );
    expect(client.get("native-app.js")).toMatch(/S3 object.*\(e2b_…c3d4\) in \.\/gcs\/app\.js line 1/);
    expect(client.get("api")).toMatch(
      /API Gateway static route files.*\(e2b_…c3d4\) in app\.js line 1, a file deployed by routes\[0\]\.localPath/,
    );
    // A private store's object is not downloaded by browsers: key material outside a store, not client-side.
    expect(client.has("private-config")).toBe(false);
    const stores = of(stack, STORES).filter((f) => f.enforcementLevel === "mandatory");
    expect(stores.find((f) => f.urn.endsWith("::private-config"))?.message).toMatch(
      /in \.\/blobs\/private-config\.json line 2, a file deployed by source, outside any approved key store/,
    );
    // The clean module and page are read too, and say nothing.
    expect(JSON.stringify(stack.findings)).not.toMatch(/helpers\.js|index\.html/);
    expect(status(stack, "E2B-01")).toBe("fail");
    expectClean(stack);
  });
});
