import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

/** Structured JSON logs on stdout, one logger per process, named after it. */
export function createLogger(name: string, level = 'info'): Logger {
  return pino({
    name,
    level,
    // Secrets must never reach logs; these paths are redacted even if a caller logs them by mistake.
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', '*.passphrase', '*.password', '*.token', '*.privateKey'],
      censor: '[redacted]',
    },
  });
}
