/** Thrown by the codec on truncated or malformed input; maps to KeeperErrorCode MarshallingError. */
export class JuteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JuteError';
  }
}
