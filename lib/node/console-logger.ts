/**
 * The console logger of `rxmode/node`: one line per record on stderr, labelled with the service
 * path. `pretty` is for people (indented by tree depth, coloured on a terminal); `json` is one
 * object per line for log collectors.
 */
import type { Logger } from '../logger.js';
import { show } from '../internal/format.js';

/** The levels of the console logger, least severe first; `silent` drops everything. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

/** `pretty`: aligned text for people; `json`: one JSON object per line. */
export type LogFormat = 'pretty' | 'json';

/** Where the console logger writes: `process.stderr` or anything with a `write(string)`. */
export interface LogStream {
  write(chunk: string): unknown;
  readonly isTTY?: boolean;
}

/** Options of {@link createConsoleLogger}. */
export interface ConsoleLoggerOptions {
  /** Records below this level are dropped. @defaultValue 'info' */
  level?: LogLevel;
  /** Line format. @defaultValue 'pretty' */
  format?: LogFormat;
  /** Where lines go. @defaultValue process.stderr */
  stream?: LogStream;
  /** ANSI colours in `pretty` lines. @defaultValue true when the stream is a TTY and `NO_COLOR` is not set */
  color?: boolean;
  /** The label of records that name no service (no `service` field). @defaultValue none */
  name?: string;
  /** The clock of the timestamps, in epoch ms. @defaultValue Date.now */
  clock?: () => number;
}

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];
const FORMATS: readonly LogFormat[] = ['pretty', 'json'];
const RANK: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };
const COLOURS: Readonly<Record<string, string>> = {
  debug: '\x1b[90m',
  info: '\x1b[32m',
  warn: '\x1b[33m',
  error: '\x1b[31m',
  path: '\x1b[36m',
  dim: '\x1b[2m',
  bold: '\x1b[1m',
};
const RESET = '\x1b[0m';

/** @internal Throws a TypeError unless `value` is a {@link LogLevel}. */
export function checkLogLevel(value: unknown, option = 'logLevel'): LogLevel {
  if (!LEVELS.includes(value as LogLevel)) {
    throw new TypeError(`${option} must be one of ${LEVELS.join(', ')}; received ${show(value)}`);
  }
  return value as LogLevel;
}

/** @internal Throws a TypeError unless `value` is a {@link LogFormat}. */
export function checkLogFormat(value: unknown, option = 'logFormat'): LogFormat {
  if (!FORMATS.includes(value as LogFormat)) {
    throw new TypeError(`${option} must be 'pretty' or 'json'; received ${show(value)}`);
  }
  return value as LogFormat;
}

/**
 * Creates a {@link Logger} that writes one line per record, labelled with the `service` field (the
 * service path the core and the Worker put on every record).
 *
 * @remarks
 * `pretty` lines read `12:04:31.200 INFO    [Worker/App/Db] running (started in 12 ms)`: the label is
 * indented two spaces per level of the tree (rxmode's take on Mode's `[^--Name]` prefix), other fields
 * follow as `key=value`, and an `err` field is printed with its stack and causes on the lines below.
 * `json` lines hold `time` (ISO), `level`, `service`, `msg`, the other fields, and `err` as
 * `{ name, message, stack, code, cause }`. Fields that cannot be serialised are shown as `[Circular]`.
 *
 * @throws TypeError for an unknown level or format, or a stream without `write`.
 * @example
 * ```ts
 * const logger = createConsoleLogger({ level: 'debug', format: 'json' });
 * const app = new App({ logger });
 * ```
 */
export function createConsoleLogger(options: ConsoleLoggerOptions = {}): Logger {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`options must be an object; received ${show(options)}`);
  }
  const level = checkLogLevel(options.level ?? 'info', 'level');
  const format = checkLogFormat(options.format ?? 'pretty', 'format');
  const stream = options.stream ?? process.stderr;
  if (typeof stream?.write !== 'function') {
    throw new TypeError(`stream must have a write(string) method; received ${show(stream)}`);
  }
  const color = options.color ?? (stream.isTTY === true && !process.env.NO_COLOR);
  const clock = options.clock ?? Date.now;
  const threshold = RANK[level];
  const write = (
    recordLevel: Exclude<LogLevel, 'silent'>,
    fieldsOrMsg: object | string,
    msg?: string,
  ): void => {
    if (RANK[recordLevel] < threshold) return;
    const fields: Record<string, unknown> =
      typeof fieldsOrMsg === 'string' ? {} : { ...(fieldsOrMsg as Record<string, unknown>) };
    const message = typeof fieldsOrMsg === 'string' ? fieldsOrMsg : (msg ?? '');
    const record = { time: clock(), level: recordLevel, name: options.name, fields, message };
    stream.write(format === 'json' ? jsonLine(record) : prettyLines(record, color));
  };
  return {
    debug: (f, m) => write('debug', f, m),
    info: (f, m) => write('info', f, m),
    warn: (f, m) => write('warn', f, m),
    error: (f, m) => write('error', f, m),
  };
}

interface LogRecord {
  time: number;
  level: Exclude<LogLevel, 'silent'>;
  name: string | undefined;
  fields: Record<string, unknown>;
  message: string;
}

function labelOf(record: LogRecord): string | undefined {
  const service = record.fields.service;
  return typeof service === 'string' ? service : record.name;
}

function jsonLine(record: LogRecord): string {
  const { service: _service, err, ...rest } = record.fields;
  const out: Record<string, unknown> = { time: new Date(record.time).toISOString(), level: record.level };
  const label = labelOf(record);
  if (label !== undefined) out.service = label;
  out.msg = record.message;
  Object.assign(out, rest);
  if (err !== undefined) out.err = errorToJSON(err, new Set());
  return `${safeStringify(out)}\n`;
}

function prettyLines(record: LogRecord, color: boolean): string {
  const paint = (code: string, text: string): string => (color ? `${COLOURS[code]}${text}${RESET}` : text);
  const d = new Date(record.time);
  const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
  const label = labelOf(record);
  let line = `${paint('dim', time)} ${paint(record.level, record.level.toUpperCase().padEnd(5))} `;
  if (label !== undefined) {
    const depth = label.split('/').length - 1;
    line += `${' '.repeat(depth * 2)}[${paint('path', label)}] `;
  }
  line += record.message;
  const { service: _service, err, ...rest } = record.fields;
  const extras = Object.entries(rest)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${renderValue(value)}`);
  if (extras.length > 0) line += ` ${paint('dim', extras.join(' '))}`;
  line += '\n';
  if (err !== undefined) line += indent(describeError(err, new Set()), '    ');
  return line;
}

/** A field value for a `key=value` pair: strings bare, stuck phases as `path phase (N ms)`, the rest as JSON. */
function renderValue(value: unknown): string {
  if (typeof value === 'string') return /\s/.test(value) || value === '' ? JSON.stringify(value) : value;
  if (Array.isArray(value) && value.every(isStuckPhase)) {
    return value.map((s) => `${s.path} ${s.phase} (${Math.round(s.elapsedMs)} ms)`).join(', ') || '[]';
  }
  if (value instanceof Error) return JSON.stringify(`${value.name}: ${value.message}`);
  return safeStringify(value);
}

function isStuckPhase(value: unknown): value is { path: string; phase: string; elapsedMs: number } {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { path?: unknown }).path === 'string' &&
    typeof (value as { phase?: unknown }).phase === 'string'
  );
}

/** The stack of an error (or `name: message`), then its `errors` and `cause`, each indented below. */
function describeError(error: unknown, seen: Set<unknown>): string {
  if (!(error instanceof Error)) return `${show(error)}\n`;
  if (seen.has(error)) return '[Circular]\n';
  seen.add(error);
  let text = `${error.stack ?? `${error.name}: ${error.message}`}\n`;
  const errors = (error as { errors?: unknown }).errors;
  if (Array.isArray(errors)) {
    errors.forEach(
      (inner, i) => (text += `  [${i + 1}] ${indent(describeError(inner, seen), '  ').trimStart()}`),
    );
  }
  if (error.cause !== undefined && !(Array.isArray(errors) && errors[0] === error.cause)) {
    text += `  cause: ${indent(describeError(error.cause, seen), '  ').trimStart()}`;
  }
  return text;
}

function indent(text: string, prefix: string): string {
  return text
    .split('\n')
    .map((line) => (line === '' ? line : prefix + line))
    .join('\n');
}

/** An error as plain data for JSON lines. */
function errorToJSON(error: unknown, seen: Set<unknown>): unknown {
  if (!(error instanceof Error)) return error;
  if (seen.has(error)) return '[Circular]';
  seen.add(error);
  const out: Record<string, unknown> = { name: error.name, message: error.message, stack: error.stack };
  const code = (error as { code?: unknown }).code;
  if (code !== undefined) out.code = code;
  const errors = (error as { errors?: unknown }).errors;
  if (Array.isArray(errors)) out.errors = errors.map((e) => errorToJSON(e, seen));
  if (error.cause !== undefined) out.cause = errorToJSON(error.cause, seen);
  return out;
}

/** JSON.stringify that survives cycles, bigints and errors nested in fields. */
function safeStringify(value: unknown): string {
  const seen = new WeakSet<object>();
  return (
    JSON.stringify(value, (_key, v: unknown) => {
      if (typeof v === 'bigint') return `${v}n`;
      if (v instanceof Error) return errorToJSON(v, new Set());
      if (typeof v === 'object' && v !== null) {
        if (seen.has(v)) return '[Circular]';
        seen.add(v);
      }
      return v;
    }) ?? 'undefined'
  );
}
