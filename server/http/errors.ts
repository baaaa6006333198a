import type { ErrorBody } from '../../shared/sync/protocol.js';

/** An error that maps to a 4xx/5xx answer with the standard body; `code` is stable for clients. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export function errorBody(code: string, message: string, details?: unknown): ErrorBody {
  return details === undefined ? { error: { code, message } } : { error: { code, message, details } };
}

/** 403 for a tenant the caller may not use; the same message whether or not the tenant exists. */
export const notAMember = (): HttpError =>
  new HttpError(403, 'forbidden', 'you have no valid membership in this tenant');
