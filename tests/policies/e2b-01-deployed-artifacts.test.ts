/**
 * E2B-01 on what resources deploy: the files of FileAssets, FileArchive folders and .zip archives,
 * read by the real pack over gRPC (the offline engine tells it the program's folder).
 */
import { useScanner } from "../support/scan";
import { programCopy } from "../support/tmp";
import { expectClean, fx, of, resourceNames, status } from "./helpers";

const CLIENT = "e2b-01-no-client-side-key";
const STORES = "e2b-01-key-only-in-key-stores";

describe("E2B-01 deployed artifacts", () => {
  const scan = useScanner();

  it("fails a website bucket whose JavaScript file holds the key, naming the file and line", async () => {
    const { stack } = await scan.program(fx("artifacts-website-key"), "prod");
    const client = of(stack, CLIENT);
    // The Azure blob whose container is the static website's (unknown at preview) is served too.
    expect(resourceNames(client)).toEqual(["js/app.js", "web-app-js", "web-bundle"]);
    expect(client.find((f) => f.urn.endsWith("::js/app.js"))!.message).toMatch(
      /S3 object, downloaded by browsers.*\(e2b_…4567\) in www\/js\/app\.js line 4, a file deployed by source/,
    );
    expect(client.find((f) => f.urn.endsWith("::web-bundle"))!.message).toMatch(
      /Azure blob.* in js\/app\.js line 4, a file deployed by source/,
    );
    // The HTML file is clean: no finding on it.
    expect(resourceNames(of(stack, STORES))).toEqual(["js/app.js", "web-app-js", "web-bundle"]);
    expect(status(stack, "E2B-01")).toBe("fail");
    expectClean(stack);
  });

  it("fails function code that carries the key: a folder archive and a zip with a Basic credential", async () => {
    const { stack } = await scan.program(fx("artifacts-lambda-key"), "prod");
    const fs = of(stack, STORES).filter((f) => f.enforcementLevel === "mandatory");
    expect(resourceNames(fs)).toEqual(["api", "worker"]);
    expect(fs.find((f) => f.urn.endsWith("::api"))!.message).toMatch(
      /holds an E2B API key \(e2b_…ba98\) in handler\.js line 4, a file deployed by code, outside any approved key store/,
    );
    expect(fs.find((f) => f.urn.endsWith("::worker"))!.message).toMatch(
      /in index\.js line 2 \(base64-encoded\), a file deployed by code/,
    );
    // The zip's binary file is not read, and the report says so.
    const advisories = of(stack, STORES).filter((f) => f.enforcementLevel === "advisory");
    expect(advisories.map((f) => f.message).join("\n")).toMatch(/logo\.png skipped as binary/);
    expect(of(stack, CLIENT)).toEqual([]);
    expect(status(stack, "E2B-01")).toBe("fail");
    expectClean(stack);
  });

  it("reads a relative archive path from the program's `main` folder, as the CLI runs it there (real42 #4)", async () => {
    // An OpenNext-style layout: the program in infra/, the build output beside it.
    const dir = programCopy("main-folder-", fx("artifacts-lambda-key"), {
      "Pulumi.yaml": "name: main-folder\nruntime: nodejs\nmain: infra\n",
      "infra/index.ts": [
        'import * as aws from "@pulumi/aws";',
        'import * as pulumi from "@pulumi/pulumi";',
        'new aws.lambda.Function("server", { role: "arn:aws:iam::1:role/r", runtime: "nodejs20.x", handler: "index.handler", code: new pulumi.asset.FileArchive("../.open-next/server-function") });',
      ].join("\n"),
      ".open-next/server-function/index.mjs": `export const handler = () => fetch("https://api.e2b.app", { headers: { "X-API-Key": "e2b_${"0123456789abcdef".repeat(3).slice(0, 40)}" } });\n`,
    });
    const { stack } = await scan.program(dir, "prod");
    expect(of(stack, STORES).map((f) => [f.urn.split("::").pop(), f.enforcementLevel, f.message])).toEqual([
      [
        "server",
        "mandatory",
        expect.stringMatching(/\(e2b_…4567\) in index\.mjs line 1, a file deployed by code/),
      ],
    ]);
    expect(status(stack, "E2B-01")).toBe("fail");
  });

  it("passes a website whose files are clean, and says which deployed file it could not read", async () => {
    const { stack } = await scan.program(fx("artifacts-website-clean"), "prod");
    const blocking = stack.findings.filter((f) => f.caseId === "E2B-01" && f.enforcementLevel !== "advisory");
    expect(blocking).toEqual([]);
    const advisories = of(stack, STORES);
    expect(advisories.map((f) => [f.urn.split("::").pop(), f.enforcementLevel])).toEqual([
      ["robots.txt", "advisory"],
    ]);
    expect(advisories[0].message).toMatch(/https:\/\/example\.com\/robots\.txt is remote and was not read/);
    expect(status(stack, "E2B-01")).toBe("pass");
    expectClean(stack);
  });
});
