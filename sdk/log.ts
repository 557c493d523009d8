// The logger the SDK's long-running helpers accept: the subset of pino they call (context object
// first, constant message second), so a pino logger, a console adapter or nothing at all fits.
// Without one they are silent; they never log payloads, keys or tokens.
export interface SdkLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

const nothing = (): void => undefined;

export const silentLogger: SdkLogger = { debug: nothing, info: nothing, warn: nothing, error: nothing };
