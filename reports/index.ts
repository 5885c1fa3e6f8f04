/** Every report format is a view of the one Report model; this is the table of views. */
import type { Report } from "../policies/api";
import type { PolicyInfo } from "../engine/analyzer-host";
import type { Format } from "./formats";

export { formats, fileExtension, type Format } from "./formats";

export interface RenderOptions {
  color?: boolean;
  packPath?: string;
  /** The pack's policies (GetAnalyzerInfo), so SARIF lists every rule, not only those that fired. */
  policies?: readonly PolicyInfo[];
  /** SARIF: `project/stack` → the repository-relative file it was read from (code scanning needs one). */
  artifacts?: Readonly<Record<string, string>>;
}

/**
 * Each renderer is loaded when its format is asked for: a command prints one format, and the others
 * (the HTML page, xmlbuilder2 for JUnit) cost start-up time for nothing.
 */
export function render(format: Format, report: Report, opts: RenderOptions = {}): string {
  switch (format) {
    case "text":
      return (require("./text") as typeof import("./text")).renderText(report, opts);
    case "json":
      return (require("./json") as typeof import("./json")).renderJson(report);
    case "markdown":
      return (require("./markdown") as typeof import("./markdown")).toMarkdown(report);
    case "html":
      return (require("./html") as typeof import("./html")).toHtml(report);
    case "junit":
      return (require("./junit") as typeof import("./junit")).toJUnit(report);
    case "github":
      return (require("./github") as typeof import("./github")).toGithub(report);
    case "sarif":
      return (require("./sarif") as typeof import("./sarif")).toSarif(report, {
        policies: opts.policies?.map((p) => ({
          name: p.name,
          description: p.description,
          remediationSteps: p.remediationSteps,
          enforcementLevel: p.enforcementLevel,
          severity: p.severity === "unspecified" ? undefined : p.severity,
        })),
        artifacts: opts.artifacts,
      });
  }
}
