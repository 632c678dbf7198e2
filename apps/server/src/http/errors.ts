import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, type ErrorCode } from '@minefleet/domain/errors';
import { isDatabaseUnavailable } from '@minefleet/db/outage';
import { ERROR_STATUS } from './error-status.js';

interface ErrorAnswer {
  status: number;
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown> | undefined;
}

/** Fastify's own error codes, mapped to ours. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'VALIDATION_FAILED',
};

/** Turns anything thrown into the one error shape of the API. */
export function toErrorAnswer(error: unknown): ErrorAnswer {
  if (error instanceof DomainError) {
    return {
      status: ERROR_STATUS[error.code],
      code: error.code,
      message: error.message,
      details: error.details,
    };
  }
  const fastifyError = error as Partial<FastifyError> & {
    validation?: unknown[];
    validationContext?: string;
  };
  if (Array.isArray(fastifyError.validation)) {
    const problems = fastifyError.validation.map((v) => {
      const item = v as { instancePath?: string; message?: string; params?: Record<string, unknown> };
      const field = [
        fastifyError.validationContext,
        item.instancePath?.replace(/^\//, '').replace(/\//g, '.'),
      ]
        .filter(Boolean)
        .join('.');
      return {
        field,
        message: item.message ?? 'is not valid',
        ...(item.params ? { params: item.params } : {}),
      };
    });
    const code: ErrorCode = fastifyError.validationContext === 'params' ? 'INVALID_ID' : 'VALIDATION_FAILED';
    const message =
      code === 'INVALID_ID'
        ? 'An identifier in the path is malformed.'
        : `The request is not valid: ${problems.map((p) => `${p.field || 'body'} ${p.message}`).join('; ')}.`;
    return { status: 400, code, message, details: { problems } };
  }
  if (fastifyError.code && FASTIFY_CODES[fastifyError.code]) {
    const code = FASTIFY_CODES[fastifyError.code]!;
    return { status: ERROR_STATUS[code], code, message: fastifyError.message ?? code };
  }
  if (fastifyError.statusCode === 429) {
    return { status: 429, code: 'RATE_LIMITED', message: 'Too many requests; try again later.' };
  }
  if (error instanceof SyntaxError && fastifyError.statusCode === 400) {
    return { status: 400, code: 'INVALID_JSON', message: 'The request body is not valid JSON.' };
  }
  if (isDatabaseUnavailable(error)) {
    return { status: 503, code: 'DATABASE_UNAVAILABLE', message: 'The database cannot be reached.' };
  }
  if (
    typeof fastifyError.statusCode === 'number' &&
    fastifyError.statusCode >= 400 &&
    fastifyError.statusCode < 500
  ) {
    return {
      status: fastifyError.statusCode,
      code: 'VALIDATION_FAILED',
      message: fastifyError.message ?? 'Bad request.',
    };
  }
  return {
    status: 500,
    code: 'INTERNAL',
    message: 'An unexpected error happened; the request id in the logs tells what.',
  };
}

export function sendError(request: FastifyRequest, reply: FastifyReply, error: unknown): FastifyReply {
  const answer = toErrorAnswer(error);
  if (answer.status >= 500) request.log.error({ err: error }, 'request failed');
  else request.log.info({ code: answer.code }, 'request refused');
  const retryAfter = answer.details?.retry_after_seconds;
  if (answer.code === 'RATE_LIMITED' && typeof retryAfter === 'number' && !reply.hasHeader('retry-after'))
    void reply.header('retry-after', String(retryAfter));
  return reply.status(answer.status).send({
    error: {
      code: answer.code,
      message: answer.message,
      ...(answer.details ? { details: answer.details } : {}),
      request_id: request.id,
    },
  });
}
