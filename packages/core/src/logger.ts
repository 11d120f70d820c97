/**
 * The logger shape libraries accept. It is pino's call signature (object first, message second),
 * so the server passes its pino instance straight in, and tests pass `silentLogger`. Libraries never
 * construct a logger themselves and never log secrets.
 */
export interface LogFn {
  (message: string): void;
  (fields: object, message?: string): void;
}

export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
}

const noop: LogFn = () => {};

export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };
