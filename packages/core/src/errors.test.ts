import { describe, expect, it } from 'vitest';
import { invalidInput } from './assert.js';
import { BaseError, ErrorCodes, findBaseError, isErrorCode } from './errors.js';

describe('BaseError', () => {
  it('keeps code, short message, details, hints and cause', () => {
    const root = new Error('socket hang up');
    const error = new BaseError('DB_UNAVAILABLE', 'cannot reach the database', {
      details: { host: '127.0.0.1', port: 5432 },
      hints: ['Is PostgreSQL running?'],
      cause: root,
    });
    expect(error.code).toBe('DB_UNAVAILABLE');
    expect(error.shortMessage).toBe('cannot reach the database');
    expect(error.details).toEqual({ host: '127.0.0.1', port: 5432 });
    expect(error.hints).toEqual(['Is PostgreSQL running?']);
    expect(error.cause).toBe(root);
    expect(error.status).toBe(503);
    expect(error.message).toContain('port: 5432');
    expect(error.message).toContain('Is PostgreSQL running?');
    expect(error.toJSON()).toEqual({
      code: 'DB_UNAVAILABLE',
      message: 'cannot reach the database',
      details: { host: '127.0.0.1', port: 5432 },
      hints: ['Is PostgreSQL running?'],
    });
  });

  it('walk() returns the root cause, or the first match of a predicate', () => {
    const root = new TypeError('root');
    const middle = new BaseError('DB_QUERY_FAILED', 'middle', { cause: root });
    const top = new BaseError('INTERNAL', 'top', { cause: middle });
    expect(top.walk()).toBe(root);
    expect(top.walk((e) => e instanceof BaseError && e.code === 'DB_QUERY_FAILED')).toBe(middle);
    expect(top.walk((e) => e instanceof RangeError)).toBeNull();
    expect(new BaseError('INTERNAL', 'alone').walk()).toBeInstanceOf(BaseError);
  });

  it('walk() terminates on a cause cycle', () => {
    const a = new BaseError('INTERNAL', 'a');
    const b = new BaseError('INTERNAL', 'b', { cause: a });
    Object.defineProperty(a, 'cause', { value: b });
    expect(() => a.walk()).not.toThrow();
  });

  it('findBaseError digs a BaseError out of a wrapping error', () => {
    const inner = invalidInput('port', 'an integer 0..65535', 70000);
    const outer = new Error('wrapped', { cause: inner });
    expect(findBaseError(outer)).toBe(inner);
    expect(findBaseError(new Error('plain'))).toBeUndefined();
    expect(findBaseError('a string')).toBeUndefined();
  });

  it('every registered code has an HTTP status and a kind', () => {
    for (const [code, entry] of Object.entries(ErrorCodes)) {
      expect(isErrorCode(code)).toBe(true);
      expect(entry.status).toBeGreaterThanOrEqual(400);
      expect(['usage', 'negative', 'internal']).toContain(entry.kind);
    }
    expect(isErrorCode('NOPE')).toBe(false);
    expect(isErrorCode('toString')).toBe(false);
  });
});
