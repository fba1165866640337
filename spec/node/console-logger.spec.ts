/**
 * The console logger: pretty lines labelled with the service path, JSON lines, levels, errors.
 */
import { expect } from 'chai';
import { createConsoleLogger, type ConsoleLoggerOptions } from '../../lib/node/index.js';

const NOON = new Date(2024, 4, 1, 12, 3, 4, 5).getTime();

function capture(options: ConsoleLoggerOptions = {}): {
  lines: string[];
  logger: ReturnType<typeof createConsoleLogger>;
} {
  const chunks: string[] = [];
  const logger = createConsoleLogger({
    clock: () => NOON,
    ...options,
    stream: { write: (c: string) => chunks.push(c) },
  });
  return {
    get lines() {
      return chunks.join('').split('\n').filter(Boolean);
    },
    logger,
  };
}

describe('createConsoleLogger()', () => {
  describe("format: 'pretty'", () => {
    it('labels each line with the service path, indented by its depth', () => {
      const out = capture();
      out.logger.info({ service: 'Worker' }, 'starting');
      out.logger.info({ service: 'Worker/App/Db' }, 'running (started in 3 ms)');
      expect(out.lines).to.deep.equal([
        '12:03:04.005 INFO  [Worker] starting',
        '12:03:04.005 INFO      [Worker/App/Db] running (started in 3 ms)',
      ]);
    });

    it('uses its name for records without a service, and shows other fields as key=value', () => {
      const out = capture({ name: 'app' });
      out.logger.warn(
        { lagMs: 1200, running: ['Worker/Db:vacuum'], note: 'two words' },
        'event loop blocked',
      );
      out.logger.error('plain message');
      expect(out.lines).to.deep.equal([
        '12:03:04.005 WARN  [app] event loop blocked lagMs=1200 running=["Worker/Db:vacuum"] note="two words"',
        '12:03:04.005 ERROR [app] plain message',
      ]);
    });

    it('prints stuck phases readably', () => {
      const out = capture();
      out.logger.error(
        { service: 'W', stuck: [{ path: 'W/Db', phase: 'onStop', elapsedMs: 30000.4 }] },
        'stop timed out',
      );
      expect(out.lines[0]).to.match(/stop timed out stuck=W\/Db onStop \(30000 ms\)$/);
    });

    it('prints an err field with its stack and its cause below the line', () => {
      const out = capture();
      const error = new Error('connection lost', { cause: new TypeError('socket closed') });
      out.logger.error({ service: 'W/Db', err: error }, 'crashed');
      const [line, ...rest] = out.lines;
      expect(line).to.equal('12:03:04.005 ERROR   [W/Db] crashed');
      expect(rest[0]).to.equal('    Error: connection lost');
      expect(rest[1]).to.match(/^ {8}at /);
      expect(rest.some((l) => l.startsWith('      cause: TypeError: socket closed'))).to.equal(true);
    });

    it('prints every error of an aggregate', () => {
      const out = capture();
      out.logger.error(
        { err: new AggregateError([new Error('first'), 'second'], 'two failed') },
        'stop failed',
      );
      const text = out.lines.join('\n');
      expect(text).to.match(/\[1\] Error: first/);
      expect(text).to.include('[2] "second"');
    });

    it('colours the level and the label only when asked or on a TTY', () => {
      const coloured = capture({ color: true });
      coloured.logger.info({ service: 'W' }, 'hello');
      expect(coloured.lines[0]).to.include('\x1b[32mINFO \x1b[0m').and.to.include('\x1b[36mW\x1b[0m');
      const tty: string[] = [];
      const previous = process.env.NO_COLOR;
      delete process.env.NO_COLOR;
      try {
        createConsoleLogger({ stream: { isTTY: true, write: (c: string) => tty.push(c) } }).info('x');
      } finally {
        if (previous !== undefined) process.env.NO_COLOR = previous;
      }
      expect(tty[0]).to.include('\x1b[');
      const plain = capture();
      plain.logger.info('x');
      expect(plain.lines[0]).not.to.include('\x1b[');
    });
  });

  describe("format: 'json'", () => {
    it('writes one object per line with time, level, service, msg, the fields and err', () => {
      const out = capture({ format: 'json' });
      out.logger.info({ service: 'W/Db', durationMs: 3 }, 'running');
      out.logger.error(
        { service: 'W/Db', err: Object.assign(new Error('gone'), { code: 'E_GONE' }) },
        'crashed',
      );
      const [first, second] = out.lines.map((line) => JSON.parse(line) as Record<string, any>);
      expect(first).to.deep.equal({
        time: new Date(NOON).toISOString(),
        level: 'info',
        service: 'W/Db',
        msg: 'running',
        durationMs: 3,
      });
      expect(second!.err).to.include({ name: 'Error', message: 'gone', code: 'E_GONE' });
      expect(second!.err.stack).to.match(/^Error: gone\n\s+at /);
    });

    it('survives circular fields and bigints', () => {
      const out = capture({ format: 'json' });
      const loop: Record<string, unknown> = { n: 1n };
      loop.self = loop;
      out.logger.info({ loop }, 'odd');
      expect(JSON.parse(out.lines[0]!).loop).to.deep.equal({ n: '1n', self: '[Circular]' });
    });
  });

  describe('level', () => {
    it("drops records below the level; 'silent' drops all", () => {
      const warn = capture({ level: 'warn' });
      warn.logger.debug('d');
      warn.logger.info('i');
      warn.logger.warn('w');
      warn.logger.error('e');
      expect(warn.lines.map((l) => l.slice(13, 18).trim())).to.deep.equal(['WARN', 'ERROR']);
      const silent = capture({ level: 'silent' });
      silent.logger.error('e');
      expect(silent.lines).to.deep.equal([]);
      const debug = capture({ level: 'debug' });
      debug.logger.debug('d');
      expect(debug.lines).to.have.length(1);
    });
  });

  it('refuses an unknown level or format, or a stream without write()', () => {
    expect(() => createConsoleLogger({ level: 'trace' as never })).to.throw(TypeError, /level .*"trace"/);
    expect(() => createConsoleLogger({ format: 'xml' as never })).to.throw(TypeError, /format .*"xml"/);
    expect(() => createConsoleLogger({ stream: {} as never })).to.throw(
      TypeError,
      /stream must have a write/,
    );
  });
});
