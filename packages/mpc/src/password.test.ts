import { describe, expect, it } from 'vitest';
import { MpcError } from './errors.js';
import {
  assertStrongPassword,
  PASSWORD_MIN_LENGTH,
  PASSWORD_MIN_SCORE,
  PASSWORD_RULE,
  passwordStrength,
} from './password.js';

function weak(password: string, check: string, userInputs: readonly string[] = []): MpcError {
  let caught: unknown;
  try {
    assertStrongPassword(password, userInputs);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(MpcError);
  const error = caught as MpcError;
  expect({ code: error.code, check: error.check }).toEqual({ code: 'MPC_WEAK_PASSWORD', check });
  // The password itself never appears in the error.
  expect(JSON.stringify({ message: error.message, details: error.details, json: error.toJSON() })).not.toContain(
    password,
  );
  return error;
}

describe('backup password rule', () => {
  it('accepts long, hard-to-guess passwords', () => {
    for (const p of ['correct horse battery staple', 'gravel-otter-minute-lantern', 'Tr0ub4dor&3xyz']) {
      assertStrongPassword(p);
      expect(passwordStrength(p).acceptable).toBe(true);
    }
  });

  it('refuses short passwords with {length, score, minimum}', () => {
    const error = weak('Tr0ub4d&3x', 'password.length');
    expect(error.details).toMatchObject({ length: 10, minimum: PASSWORD_MIN_LENGTH });
    expect(typeof error.details.score).toBe('number');
  });

  it('refuses long but guessable passwords (repeats, dictionary words, sequences, keyboard walks)', () => {
    for (const p of [
      'passwordpassword',
      'aaaaaaaaaaaaaaaa',
      '123456789012',
      'qwertyuiopasdf',
      'Summer2023Summer2023',
      'P@ssw0rd2024!',
    ]) {
      const error = weak(p, 'password.score');
      expect(error.details.minimum).toBe(PASSWORD_MIN_SCORE);
      expect(error.details.score as number).toBeLessThan(PASSWORD_MIN_SCORE);
    }
  });

  it('counts user inputs (an email address reused as the password) as guessable', () => {
    expect(passwordStrength('gravel-otter-minute-lantern').acceptable).toBe(true);
    weak('gravel-otter-minute-lantern', 'password.score', ['gravel-otter-minute-lantern']);
  });

  it('counts Unicode characters after NFC, so a composed and a decomposed é are the same password', () => {
    const composed = 'caf\u00e9-caf\u00e9-caf\u00e9-x';
    const decomposed = 'cafe\u0301-cafe\u0301-cafe\u0301-x';
    expect(passwordStrength(composed)).toEqual(passwordStrength(decomposed));
    expect(passwordStrength(composed).length).toBe(16);
  });

  it('states the rule for the README', () => {
    expect(PASSWORD_RULE).toContain(`${PASSWORD_MIN_LENGTH} characters`);
    expect(PASSWORD_RULE).toContain(`${PASSWORD_MIN_SCORE} of 4`);
  });
});
