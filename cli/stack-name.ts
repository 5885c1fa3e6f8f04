/** `--stack` may be left out when the project has exactly one `Pulumi.<stack>.yaml`, as with one stack selected. */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { InputError } from "../engine";

export function defaultStack(cwd: string): string {
  const projectFile = path.join(cwd, "Pulumi.yaml");
  if (!existsSync(projectFile))
    throw new InputError(`${projectFile}: no Pulumi.yaml (is --cwd a Pulumi project?)`, projectFile);
  const doc = (parse(readFileSync(projectFile, "utf8")) ?? {}) as { stackConfigDir?: string };
  const dir = path.resolve(cwd, doc.stackConfigDir ?? ".");
  const stacks = existsSync(dir)
    ? readdirSync(dir)
        .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
        .filter((s): s is string => !!s)
    : [];
  if (stacks.length === 1) return stacks[0];
  throw new InputError(
    `--stack is required: ${stacks.length ? `the project has several stacks (${stacks.join(", ")})` : `no Pulumi.<stack>.yaml in ${dir}`}`,
  );
}
