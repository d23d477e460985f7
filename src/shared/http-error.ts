/**
 * The one error type that crosses into HTTP. `code` is the stable `error` field of the JSON
 * body that clients match on; `message` is for people.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string = code,
    readonly headers: Readonly<Record<string, string>> = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'HttpError';
  }

  toBody(): { error: string; message: string } {
    return { error: this.code, message: this.message };
  }
}
