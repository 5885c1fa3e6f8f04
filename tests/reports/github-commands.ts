/**
 * A reader of GitHub Actions workflow commands as the Actions runner parses them (`::name
 * k=v,k=v::message`, one per line; `%0D` `%0A` `%25` unescaped in the message, and `%3A` `%2C` as
 * well in property values), so tests judge what a runner would show, not our own string building.
 */
export interface WorkflowCommand {
  command: string;
  properties: Record<string, string>;
  message: string;
}

const unescapeData = (s: string) => s.replace(/%0D/gi, "\r").replace(/%0A/gi, "\n").replace(/%25/g, "%");
const unescapeProperty = (s: string) =>
  s
    .replace(/%0D/gi, "\r")
    .replace(/%0A/gi, "\n")
    .replace(/%3A/gi, ":")
    .replace(/%2C/gi, ",")
    .replace(/%25/g, "%");

export function parseWorkflowCommands(stdout: string): WorkflowCommand[] {
  const out: WorkflowCommand[] = [];
  for (const line of stdout.split("\n")) {
    if (!line.startsWith("::")) {
      if (line.trim() !== "") throw new Error(`not a workflow command: ${line}`);
      continue;
    }
    const end = line.indexOf("::", 2);
    if (end < 0) throw new Error(`unterminated workflow command: ${line}`);
    const head = line.slice(2, end);
    const space = head.indexOf(" ");
    const command = space < 0 ? head : head.slice(0, space);
    const properties: Record<string, string> = {};
    if (space >= 0)
      for (const pair of head.slice(space + 1).split(",")) {
        const eq = pair.indexOf("=");
        if (eq <= 0) throw new Error(`bad property '${pair}' in: ${line}`);
        properties[pair.slice(0, eq)] = unescapeProperty(pair.slice(eq + 1));
      }
    out.push({ command, properties, message: unescapeData(line.slice(end + 2)) });
  }
  return out;
}
