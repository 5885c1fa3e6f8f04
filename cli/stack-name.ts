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

/**
 * A stack named as the CLI takes it: `stack`, `org/stack` or `org/project/stack` (pulumi/actions'
 * `stack-name` is often the last). The file is `Pulumi.<stack>.yaml` either way; the organization is
 * reported to the pack unless `--organization` says otherwise; a project that is not this one's is
 * refused, as the CLI refuses it.
 */
const STACK_NAME = /^[A-Za-z0-9_.-]{1,100}$/;

export function parseStackRef(
  ref: string,
  projectName: (stack: string) => string,
): { stack: string; organization?: string } {
  const parts = ref.split("/");
  // Quoted as JSON: a name with a line break or a control character shows it.
  const shown = JSON.stringify(ref);
  if (parts.length > 3 || parts.some((p) => p === ""))
    throw new InputError(`--stack: ${shown} is not a stack name (stack, org/stack or org/project/stack)`);
  const stack = parts[parts.length - 1];
  // pulumi/pulumi's validateStackName (sdk/go/common/tokens): the same pattern and limit.
  if (!STACK_NAME.test(stack) || parts.some((p) => !/^[A-Za-z0-9_.-]+$/.test(p)))
    throw new InputError(
      `--stack: ${shown} is not a stack name: stack names may only contain alphanumeric, hyphens, underscores, and periods (at most 100)`,
    );
  if (parts.length === 1) return { stack: ref };
  if (parts.length === 3 && parts[1] !== projectName(stack))
    throw new InputError(
      `--stack: '${ref}' names project '${parts[1]}', but this project is '${projectName(stack)}' (Pulumi.yaml)`,
    );
  return { stack, organization: parts[0] };
}
