/**
 * The report formats and their file extensions, apart from the renderers: the command line needs the
 * list to parse `--format` and print its help, and must not load every renderer to do so.
 */
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
