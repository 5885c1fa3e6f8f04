/**
 * Bad input from the user (a missing or malformed file, an invalid config value). The CLI prints the
 * message as one line and exits 2; nothing else is an InputError.
 */
export class InputError extends Error {
  constructor(
    message: string,
    readonly file?: string,
  ) {
    super(message);
    this.name = "InputError";
  }
}

/**
 * A JSON.parse error as one short reason. Node quotes a slice of the input around the bad token
 * ("Unexpected token 'e', …"e2b_0123"… is not valid JSON"); that slice may hold part of a key, so it
 * is dropped and only the token is kept.
 */
/** Characters a message cannot show: control characters, invisible ones, a byte order mark. */
// eslint-disable-next-line no-control-regex -- control and invisible characters are what this looks for
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028\u2029\ufeff\ufffd]/g;

export function jsonSyntaxProblem(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  const problem = message
    .replace(/^(Unexpected token .+?),\s[\s\S]*\sis not valid JSON$/, "$1")
    .split("\n")[0];
  // The token V8 quotes may be invisible (a NUL, a byte order mark): name it by its code point.
  const named = problem.replace(
    INVISIBLE,
    (c) => `U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`,
  );
  return /\bU\+(FEFF|0000)\b/.test(named)
    ? `${named}; the file looks like UTF-16 or holds a byte order mark more than once`
    : named;
}
