import fp from 'fastify-plugin';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { RuleViolation, ValidationError } from '../../domain/errors';
import { isTransientDatabaseError } from '../../db/pool';

/** An HTTP error with a message safe to show to the caller. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly rule?: string,
  ) {
    super(message);
  }
}

/**
 * One error shape for every route: `{ error, message, rule? }`. Messages of 4xx errors reach the caller; 5xx details
 * stay in the log and the caller gets the request id to quote.
 */
export default fp(
  async (app) => {
    app.setErrorHandler((err: Error & { statusCode?: number; validation?: { instancePath?: string; params?: Record<string, unknown> }[]; validationContext?: string; code?: string }, request, reply) => {
      if (err instanceof RuleViolation) {
        const status = err.kind === 'conflict' ? 409 : err.kind === 'forbidden' ? 403 : 422;
        return reply.status(status).send({ error: statusText(status), message: err.message, rule: err.rule, ...(err.field ? { field: err.field } : {}) });
      }
      if (err instanceof ValidationError) {
        return reply.status(422).send({ error: statusText(422), message: err.message, field: err.field });
      }
      if (err instanceof HttpError) {
        return reply
          .status(err.statusCode)
          .send({ error: statusText(err.statusCode), message: err.message, ...(err.rule ? { rule: err.rule } : {}) });
      }
      if (err instanceof WorkflowNotFoundError) {
        return reply.status(404).send({ error: 'Not Found', message: 'not found' });
      }
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        return reply.status(409).send({ error: 'Conflict', message: 'already running' });
      }
      if (err.validation) {
        // The field as the caller wrote it: the path inside the body, query or params.
        const first = err.validation[0];
        const missing = first?.params?.missingProperty;
        const field = [first?.instancePath?.replace(/^\//, '').replace(/\//g, '.'), typeof missing === 'string' ? missing : undefined].filter(Boolean).join('.');
        return reply.status(400).send({ error: statusText(400), message: err.message, field: field || err.validationContext || 'body' });
      }
      if (isTransientDatabaseError(err)) {
        // Retried already where it is safe; the caller may simply send the same request again.
        request.log.warn({ code: err.code }, 'transaction conflict: answered 503');
        return reply.status(503).header('Retry-After', '2').send({ error: statusText(503), message: 'the database is busy with a conflicting change; send the same request again' });
      }
      if (err.code === 'FST_UNDER_PRESSURE') {
        // Load shedding: under-pressure set Retry-After; say what it is, it is not a failure of this request.
        return reply.status(503).send({ error: statusText(503), message: err.message });
      }
      if (err.code === '22003') {
        return reply.status(400).send({ error: statusText(400), message: 'a number in the request is out of range' });
      }
      const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
      if (status < 500) {
        return reply.status(status).send({ error: statusText(status), message: err.message });
      }
      request.log.error({ err }, 'request failed');
      return reply.status(status).send({ error: statusText(status), message: `internal error (request ${request.id})` });
    });

    app.setNotFoundHandler((request, reply) => {
      reply.status(404).send({ error: 'Not Found', message: `no route ${request.method} ${request.url.split('?')[0]}` });
    });
  },
  { name: 'errors' },
);

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

function statusText(status: number): string {
  return STATUS_TEXT[status] ?? 'Error';
}
