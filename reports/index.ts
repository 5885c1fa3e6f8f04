/** Every report format is a view of the one Report model; this is the table of views. */
import type { Report } from "../policies/api";
import type { PolicyInfo } from "../engine/analyzer-host";
import { toGithub } from "./github";
import { toHtml } from "./html";
import { renderJson } from "./json";
import { toJUnit } from "./junit";
import { toMarkdown } from "./markdown";
import { toSarif } from "./sarif";
import { renderText } from "./text";

export const formats = ["text", "json", "markdown", "html", "junit", "sarif", "github"] as const;
export type Format = (typeof formats)[number];

export const fileExtension: Record<Format, string> = {
  text: "txt",
  json: "json",
  markdown: "md",
  html: "html",
  junit: "junit.xml",
  sarif: "sarif",
  github: "github.txt",
};

export interface RenderOptions {
  color?: boolean;
  packPath?: string;
  /** The pack's policies (GetAnalyzerInfo), so SARIF lists every rule, not only those that fired. */
  policies?: readonly PolicyInfo[];
  /** SARIF: `project/stack` → the repository-relative file it was read from (code scanning needs one). */
  artifacts?: Readonly<Record<string, string>>;
}

export function render(format: Format, report: Report, opts: RenderOptions = {}): string {
  switch (format) {
    case "text":
      return renderText(report, opts);
    case "json":
      return renderJson(report);
    case "markdown":
      return toMarkdown(report);
    case "html":
      return toHtml(report);
    case "junit":
      return toJUnit(report);
    case "github":
      return toGithub(report);
    case "sarif":
      return toSarif(report, {
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
