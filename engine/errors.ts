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
