/**
 * The error both implementations throw for a failed statement: DB_QUERY_FAILED with the
 * PostgreSQL SQLSTATE as a detail (callers branch on it, e.g. 23505 for a unique violation) and
 * the driver's error kept as the cause. The SQL text and parameters are never copied into it.
 */
import { BaseError } from '@custos/core';

export function queryFailed(cause: unknown): BaseError {
  const sqlstate = (cause as { code?: unknown }).code;
  return new BaseError('DB_QUERY_FAILED', 'a database query failed', {
    details: { sqlstate: typeof sqlstate === 'string' ? sqlstate : null },
    cause,
  });
}
