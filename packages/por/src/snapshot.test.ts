/**
 * The snapshot's line limit is exactly the documented 1 MiB (MAX_LINE bytes, the line ending not
 * counted), whatever the size of the read buffer: a data line or a header one byte over is refused
 * with POR_INVALID_INPUT and its line number, one of exactly MAX_LINE bytes is read whole — with
 * `\n` or `\r\n`, in the middle or last without a newline.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildLiabilitiesTree } from './build.js';
import { MAX_LINE, readSnapshotHeader, readSnapshotRows } from './snapshot.js';

const dir = mkdtempSync(join(tmpdir(), 'custos-por-lines-'));
const FIXED = { signingSeed: new Uint8Array(32).fill(5), roundId: 't', snapshotTime: '2026-11-30T00:00:00Z' };

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** An NDJSON row of exactly `bytes` bytes (whitespace inside the object is still valid JSON). */
function row(user: string, bytes: number): string {
  const head = `{"user_id":"${user}","BTC:8":"1"`;
  const line = `${head}${' '.repeat(bytes - head.length - 1)}}`;
  expect(Buffer.byteLength(line)).toBe(bytes);
  return line;
}

let files = 0;
function file(text: string): string {
  const path = join(dir, `s${files++}.ndjson`);
  writeFileSync(path, text);
  return path;
}

function readAll(path: string, chunkBytes?: number): string[] {
  const header = readSnapshotHeader(path);
  const ids: string[] = [];
  for (const batch of readSnapshotRows(path, header, header.dataOffset, header.firstDataLine, 16_384, chunkBytes))
    ids.push(...batch.userIds);
  return ids;
}

const rejection = (run: () => unknown): Error & { code?: string; details?: { line?: number } } => {
  try {
    run();
  } catch (error) {
    return error as Error & { code?: string; details?: { line?: number } };
  }
  throw new Error('expected a rejection');
};

// The default buffer (4 MiB), ones smaller than a line, and sizes on either side of the limit.
const CHUNKS = [undefined, 1000, 64 * 1024, MAX_LINE - 1, MAX_LINE, MAX_LINE + 1, MAX_LINE + 2, 2 * MAX_LINE];

describe('a data line is at most MAX_LINE (1 MiB) bytes, whatever the read buffer', () => {
  const small = row('a', 40);

  it.each(CHUNKS)('chunk %s: a line of MAX_LINE + 1 bytes is refused with its line number', (chunk) => {
    const path = file(`${small}\n${row('b', MAX_LINE + 1)}\n${row('c', 40)}\n`);
    const error = rejection(() => readAll(path, chunk));
    expect(error).toMatchObject({ code: 'POR_INVALID_INPUT', details: { line: 2 } });
    expect(error.message).toMatch(/^line 2: the line is longer than 1 MiB \(1048576 bytes/);
  });

  it.each(CHUNKS)('chunk %s: a line of exactly MAX_LINE bytes is read whole (\\n and \\r\\n)', (chunk) => {
    const path = file(`${small}\n${row('b', MAX_LINE)}\r\n${row('c', MAX_LINE)}\n${row('d', 40)}\n`);
    expect(readAll(path, chunk)).toEqual(['a', 'b', 'c', 'd']);
  });

  it.each(CHUNKS)('chunk %s: the last line without a newline, just under and just over', (chunk) => {
    expect(readAll(file(`${small}\n${row('b', MAX_LINE)}`), chunk)).toEqual(['a', 'b']);
    const error = rejection(() => readAll(file(`${small}\n${row('b', MAX_LINE + 1)}`), chunk));
    expect(error).toMatchObject({ code: 'POR_INVALID_INPUT', details: { line: 2 } });
  });

  it('a line far over the limit (5 MiB, more than the default buffer) is refused too', () => {
    const error = rejection(() => readAll(file(`${small}\n${small}\n${row('b', 5 * MAX_LINE)}\n`)));
    expect(error).toMatchObject({ code: 'POR_INVALID_INPUT', details: { line: 3 } });
  });

  it('the builder refuses a line just over the limit with its line number', () => {
    const input = file(`${small}\n${row('b', MAX_LINE + 1)}\n`);
    const error = rejection(() => buildLiabilitiesTree({ ...FIXED, input, out: `${input}.round` }));
    expect(error).toMatchObject({ code: 'POR_INVALID_INPUT' });
    expect(error.message).toMatch(/^line 2: the line is longer than 1 MiB/);
  });
});

describe('the header is read whole, up to the same limit', () => {
  it('an NDJSON first line of exactly MAX_LINE bytes (\\n or \\r\\n) is read whole, and builds', () => {
    for (const ending of ['\n', '\r\n']) {
      const input = file(`${row('a', MAX_LINE)}${ending}${row('b', 40)}\n`);
      expect(readSnapshotHeader(input)).toMatchObject({ format: 'ndjson', assets: [{ symbol: 'BTC', scale: 8 }] });
      expect(readAll(input)).toEqual(['a', 'b']);
      expect(buildLiabilitiesTree({ ...FIXED, input, out: `${input}.round` }).users).toBe(2);
    }
    // The whole file one header line of exactly MAX_LINE bytes, no newline.
    expect(readAll(file(row('a', MAX_LINE)))).toEqual(['a']);
  });

  it.each([
    ['an NDJSON first line of MAX_LINE + 1 bytes', () => `${row('a', MAX_LINE + 1)}\n${row('b', 40)}\n`],
    ['an NDJSON first line of MAX_LINE + 1 bytes and \\r\\n', () => `${row('a', MAX_LINE + 1)}\r\n${row('b', 40)}\n`],
    ['an NDJSON first line of MAX_LINE + 1 bytes without a newline', () => row('a', MAX_LINE + 1)],
    [
      'a CSV header of MAX_LINE + 1 bytes',
      () => `user_id,BTC:8,${'x'.repeat(MAX_LINE + 1 - 'user_id,BTC:8,'.length)}\nu1,1,1\n`,
    ],
    ['a CSV header of several MiB', () => `user_id,BTC:8,${'x'.repeat(3 * MAX_LINE)}\nu1,1,1\n`],
  ])('%s is refused as too long (line 1)', (_name, text) => {
    const input = file(text());
    const error = rejection(() => readSnapshotHeader(input));
    expect(error).toMatchObject({ code: 'POR_INVALID_INPUT', details: { line: 1 } });
    expect(error.message).toMatch(/^line 1: the line is longer than 1 MiB/);
    expect(rejection(() => buildLiabilitiesTree({ ...FIXED, input, out: `${input}.round` })).message).toMatch(
      /^line 1: the line is longer than 1 MiB/,
    );
  });
});
