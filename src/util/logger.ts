import winston from 'winston';

/**
 * The server's logger. Levels come from ZKTS_LOG_LEVEL (or `zkts.log.level`); nothing on the request
 * path logs at info.
 */
export type Logger = winston.Logger;

export function createLogger(level = process.env.ZKTS_LOG_LEVEL ?? 'info', file?: string): Logger {
  const transports: winston.transport[] = [
    new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug', 'verbose', 'silly'] }),
  ];
  if (file !== undefined) {
    transports.push(new winston.transports.File({ filename: file, maxsize: 64 * 1024 * 1024, maxFiles: 10, tailable: true }));
  }
  return winston.createLogger({
    level,
    format: winston.format.combine(
      winston.format.timestamp(),
      winston.format.printf((i) => `${i.timestamp} [${i.level.toUpperCase()}] ${i.message}`),
    ),
    transports,
  });
}

/** A logger that drops everything (embedded test servers default to it). */
export function silentLogger(): Logger {
  return winston.createLogger({ silent: true, transports: [new winston.transports.Console({ silent: true })] });
}
