/**
 * YAML as the Pulumi CLI reads project and stack files (Go's yaml.v3), for our readers of committed
 * files. Three differences from the `yaml` package's defaults:
 * - no warnings: an unknown tag (`!custom …`) made the parser print a code frame of the source line
 *   on stderr, cut at 80 columns, so an encoded key there reached the output before any redactor
 *   could mask it whole (policies/detect/walk.ts parses documents the same way);
 * - `!!binary` is the text its bytes spell, as yaml.v3 decodes it into a string, not a byte array
 *   (which config would then carry as `{"0":101,…}`);
 * - merge keys (`<<: *shared`) are applied, as yaml.v3 applies them (a YAML 1.1 feature the package
 *   leaves off under 1.2): config shared through one would otherwise be missing.
 */
import { parse, type ParseOptions, type DocumentOptions, type SchemaOptions, type ToJSOptions } from "yaml";

const BINARY = "tag:yaml.org,2002:binary";

const binaryAsText = {
  tag: BINARY,
  identify: () => false,
  resolve: (text: string) => Buffer.from(text.replace(/\s+/g, ""), "base64").toString("utf8"),
};

const OPTIONS: ParseOptions & DocumentOptions & SchemaOptions & ToJSOptions = {
  logLevel: "error",
  merge: true,
  // A function, so the tag replaces the schema's own under `%YAML 1.1` as well.
  customTags: (tags) => [...tags.filter((t) => (t as { tag?: string }).tag !== BINARY), binaryAsText],
};

export function parseCommittedYaml(text: string): unknown {
  return parse(text, OPTIONS);
}
