/** `--stack` may be left out when the project has exactly one `Pulumi.<stack>.yaml`, as with one stack selected. */
import { InputError } from "../engine";
import { listStacks, stackConfigDir } from "../engine/project";

export function defaultStack(cwd: string): string {
  const dir = stackConfigDir(cwd);
  const stacks = listStacks(dir);
  if (stacks.length === 1) return stacks[0];
  throw new InputError(
    `--stack is required: ${stacks.length ? `the project has several stacks (${stacks.join(", ")})` : `no Pulumi.<stack>.yaml in ${dir}`}`,
  );
}
