/**
 * Input assertions for the edges of public functions. Every failure is an `INVALID_INPUT`
 * BaseError whose message names the field, says what was expected and what came, in the form
 * noble uses: `"share.index" expected 1..3, got 7`. Values are described, never echoed when they
 * could be secret: callers pass `{ secret: true }` and only the type/length is shown.
 */
import { BaseError } from './errors.js';

export interface DescribeOptions {
  /** When true, the value is never printed: only its type (and length for strings). */
  secret?: boolean;
}

/** A short, safe description of a value for an error message. */
export function describeValue(value: unknown, options: DescribeOptions = {}): string {
  if (options.secret) {
    return typeof value === 'string' ? `a string of length ${value.length}` : `a ${typeof value}`;
  }
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') {
    const shown = value.length > 80 ? `${value.slice(0, 77)}...` : value;
    return JSON.stringify(shown);
  }
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value instanceof Uint8Array) return `Uint8Array(${value.length})`;
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  return `a ${typeof value}`;
}

export function invalidInput(
  field: string,
  expected: string,
  got: unknown,
  options: DescribeOptions & { cause?: unknown } = {},
): BaseError {
  return new BaseError('INVALID_INPUT', `"${field}" expected ${expected}, got ${describeValue(got, options)}`, {
    details: { field, expected },
    cause: options.cause,
  });
}

export function assertString(value: unknown, field: string, options: DescribeOptions = {}): asserts value is string {
  if (typeof value !== 'string') throw invalidInput(field, 'a string', value, options);
}

export function assertNonEmptyString(
  value: unknown,
  field: string,
  options: DescribeOptions = {},
): asserts value is string {
  if (typeof value !== 'string' || value.length === 0) throw invalidInput(field, 'a non-empty string', value, options);
}

export function assertInteger(value: unknown, field: string, min: number, max: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw invalidInput(field, `an integer ${min}..${max}`, value);
  }
}

export function assertBigIntInRange(value: unknown, field: string, min: bigint, max: bigint): asserts value is bigint {
  if (typeof value !== 'bigint' || value < min || value > max) {
    throw invalidInput(field, `a bigint ${min}..${max}`, value);
  }
}

export function assertBytes(value: unknown, field: string, length?: number): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array) || (length !== undefined && value.length !== length)) {
    throw invalidInput(field, length === undefined ? 'a Uint8Array' : `a Uint8Array of ${length} bytes`, value);
  }
}

export function assertOneOf<const T extends readonly string[]>(
  value: unknown,
  field: string,
  allowed: T,
): asserts value is T[number] {
  if (typeof value !== 'string' || !allowed.includes(value)) {
    throw invalidInput(field, `one of ${allowed.join(' | ')}`, value);
  }
}
