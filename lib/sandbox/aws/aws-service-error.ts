// An error as an AWS service answers it: the wire code, message and HTTP status the SDK deserializes.
export type AwsFault = 'Sender' | 'Receiver';

export class AwsServiceError extends Error {
  override readonly name = 'AwsServiceError';
  readonly fault: AwsFault;

  constructor(
    readonly code: string,
    message: string,
    readonly httpStatus: number,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.fault = httpStatus >= 500 ? 'Receiver' : 'Sender';
  }
}
