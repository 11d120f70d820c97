/**
 * The backup password rule. The password is the only barrier between "server share + stolen cloud
 * file" and the key (research notes §3.2), so it must resist an offline guessing attack on the
 * scrypt-wrapped backup: at least 12 characters and a zxcvbn score of at least 3 of 4 (zxcvbn:
 * Wheeler, "Low-Budget Password Strength Estimation", USENIX Security 2016; the @zxcvbn-ts port
 * with its common and English dictionaries). Score 3 means "safely unguessable: moderate
 * protection from offline slow-hash scenario" (< 10^10 guesses is score ≤ 2). Passwords are
 * compared as Unicode NFC, so the same password typed on two devices gives the same key.
 */
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary as commonDictionary } from '@zxcvbn-ts/language-common';
import { dictionary as englishDictionary, translations } from '@zxcvbn-ts/language-en';
import { MpcError } from './errors.js';

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MIN_SCORE = 3;

/** The rule as text, for the README and the user interface. */
export const PASSWORD_RULE =
  `The backup password must be at least ${PASSWORD_MIN_LENGTH} characters long and score at least ` +
  `${PASSWORD_MIN_SCORE} of 4 on zxcvbn (common passwords, names, dictionary words, dates, keyboard ` +
  'patterns and repeats are recognised and count for little). A passphrase of four or more random ' +
  'words passes.';

let factory: ZxcvbnFactory | undefined;

/** Built on first use: the dictionaries are large and most processes never check a password. */
function estimator(): ZxcvbnFactory {
  factory ??= new ZxcvbnFactory({
    dictionary: { ...commonDictionary, ...englishDictionary },
    graphs: adjacencyGraphs,
    translations,
  });
  return factory;
}

/** The password as the KDF and the rule see it: Unicode NFC. */
export function normalizePassword(password: string): string {
  return password.normalize('NFC');
}

export interface PasswordStrength {
  /** Characters (Unicode code points) after NFC normalisation. */
  readonly length: number;
  /** zxcvbn score 0..4. */
  readonly score: number;
  readonly acceptable: boolean;
}

/** Scores a password; `userInputs` (e.g. the user's email) count as dictionary words. */
export function passwordStrength(password: string, userInputs: readonly string[] = []): PasswordStrength {
  const normalized = normalizePassword(password);
  const length = [...normalized].length;
  const score = estimator().check(normalized, [...userInputs]).score;
  return { length, score, acceptable: length >= PASSWORD_MIN_LENGTH && score >= PASSWORD_MIN_SCORE };
}

/**
 * Throws MPC_WEAK_PASSWORD (check `password.length` or `password.score`) with details {length,
 * score, minimum} — never the password.
 */
export function assertStrongPassword(password: string, userInputs: readonly string[] = []): void {
  if (typeof password !== 'string') {
    throw new MpcError('MPC_WEAK_PASSWORD', 'password.type', 'the password must be a string');
  }
  const { length, score } = passwordStrength(password, userInputs);
  if (length < PASSWORD_MIN_LENGTH) {
    throw new MpcError(
      'MPC_WEAK_PASSWORD',
      'password.length',
      `the password must have at least ${PASSWORD_MIN_LENGTH} characters`,
      {
        length,
        score,
        minimum: PASSWORD_MIN_LENGTH,
      },
    );
  }
  if (score < PASSWORD_MIN_SCORE) {
    throw new MpcError('MPC_WEAK_PASSWORD', 'password.score', 'the password is too easy to guess', {
      length,
      score,
      minimum: PASSWORD_MIN_SCORE,
    });
  }
}
