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
export function jsonSyntaxProblem(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return message.replace(/^(Unexpected token .+?),\s[\s\S]*\sis not valid JSON$/, "$1").split("\n")[0];
}
