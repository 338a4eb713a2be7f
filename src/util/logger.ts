import type * as Winston from 'winston';

/**
 * The server's logger. Levels come from ZKTS_LOG_LEVEL (or `zkts.log.level`); nothing on the request
 * path logs at info.
 */
export interface Logger {
  error(msg: string): void;
  warn(msg: string): void;
  info(msg: string): void;
  debug(msg: string): void;
  /** Writes out anything held back (before shutting down). */
  flush?(): void;
}

/** How long info lines may wait for winston after the first of them (start-up takes less). */
const LOAD_DELAY_MS = 300;

/** npm levels as winston numbers them: a message goes out when its number is at most the logger's. */
const LEVELS: Record<string, number> = { error: 0, warn: 1, info: 2, http: 3, verbose: 4, debug: 5, silly: 6 };

/**
 * winston behind the Logger interface, loaded only once the server is up: requiring it takes longer than
 * the rest of the server's start-up. Info and debug lines logged before then wait (with the time they were
 * logged) until a short timer loads it, so the first clients are not kept waiting for a log line; a
 * warning or an error loads it at once, as does flush() on shutdown, and everything goes out in order.
 */
class WinstonLogger implements Logger {
  private impl: Winston.Logger | null = null;
  private readonly threshold: number;
  private waiting: { level: string; message: string; timestamp: string }[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly level: string,
    private readonly file: string | undefined,
  ) {
    this.threshold = LEVELS[level] ?? LEVELS.info;
  }

  error(msg: string): void {
    this.write('error', msg);
  }

  warn(msg: string): void {
    this.write('warn', msg);
  }

  info(msg: string): void {
    this.write('info', msg);
  }

  debug(msg: string): void {
    this.write('debug', msg);
  }

  private write(level: string, message: string): void {
    if (LEVELS[level] > this.threshold) return;
    const entry = { level, message, timestamp: new Date().toISOString() };
    if (this.impl === null && LEVELS[level] > LEVELS.warn) {
      this.waiting.push(entry);
      if (this.timer === null) {
        this.timer = setTimeout(() => this.flush(), LOAD_DELAY_MS);
        this.timer.unref();
      }
      return;
    }
    this.flush();
    this.impl!.log(entry);
  }

  /** Loads winston and writes what waited. */
  flush(): void {
    const w = this.winston();
    const waiting = this.waiting;
    this.waiting = [];
    for (const e of waiting) w.log(e);
  }

  private winston(): Winston.Logger {
    if (this.impl !== null) return this.impl;
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const winston = require('winston') as typeof Winston;
    const transports: Winston.transport[] = [
      new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug', 'verbose', 'silly'] }),
    ];
    if (this.file !== undefined) {
      transports.push(new winston.transports.File({ filename: this.file, maxsize: 64 * 1024 * 1024, maxFiles: 10, tailable: true }));
    }
    this.impl = winston.createLogger({
      level: this.level,
      format: winston.format.printf((i) => `${i.timestamp} [${i.level.toUpperCase()}] ${i.message}`),
      transports,
    });
    return this.impl;
  }
}

export function createLogger(level = process.env.ZKTS_LOG_LEVEL ?? 'info', file?: string): Logger {
  return new WinstonLogger(level, file);
}

const SILENT: Logger = {
  error: () => undefined,
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
};

/** A logger that drops everything (embedded test servers default to it). */
export function silentLogger(): Logger {
  return SILENT;
}
