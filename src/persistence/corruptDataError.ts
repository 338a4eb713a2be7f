/** A log or snapshot that cannot be trusted; the message names the file and the offset. */
export class CorruptDataError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CorruptDataError';
  }
}
