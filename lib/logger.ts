import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

/** Structured JSON logs on stdout (or `destination`), one logger per process, named after it. */
export function createLogger(name: string, level = 'info', destination?: DestinationStream): Logger {
  return pino(
    {
      name,
      level,
      // Secrets must never reach logs; these paths are redacted even if a caller logs them by mistake.
      redact: {
        paths: ['req.headers.authorization', 'req.headers.cookie', '*.passphrase', '*.password', '*.token', '*.access_token', '*.privateKey'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}

/**
 * An HTTP request as the API's log shows it: method, path and peer. The query string is never written (a link's
 * `token` or a UI's `access_token` may travel there); that there was one is shown as `?[redacted]`.
 */
export function requestForLog(req: { method: string; url: string; host?: string; ip?: string; socket?: { remotePort?: number } }) {
  const at = req.url.indexOf('?');
  return {
    method: req.method,
    url: at === -1 ? req.url : `${req.url.slice(0, at)}?[redacted]`,
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  };
}
