/**
 * The Logger interface (pino's calling convention) and the silent logger the core uses by default.
 */
import { noop } from './internal/noop.js';

/**
 * A structured logger: pino fits as is; a console-like logger fits with a one-line adapter.
 */
export interface Logger {
  debug(fieldsOrMsg: object | string, msg?: string): void;
  info(fieldsOrMsg: object | string, msg?: string): void;
  warn(fieldsOrMsg: object | string, msg?: string): void;
  error(fieldsOrMsg: object | string, msg?: string): void;
}

/** A logger that drops everything: the core's default, so a library never writes to the console unasked. */
export const silentLogger: Logger = Object.freeze({ debug: noop, info: noop, warn: noop, error: noop });
