import { describe, expect, it } from 'vitest';
import { readCsv } from './csv.js';
import { BatchBuilder } from './util.js';

function read(text: string, quoteEscape?: string) {
  const batch = new BatchBuilder('test');
  const table = readCsv(text, 'f.csv', batch, quoteEscape);
  const rows = table?.rows.map((r) => ({ line: r.line, a: r.get('a'), b: r.get('b') })) ?? null;
  return { table, rows, errors: batch.build().errors };
}

describe('readCsv', () => {
  it('gives each row the line it starts on, across blank lines and quoted newlines', () => {
    const { table, rows, errors } = read('a,b\n1,2\n\n3,"x\ny"\n4, 5 \n');
    expect(errors).toEqual([]);
    expect(table?.header).toEqual(['a', 'b']);
    expect(rows).toEqual([
      { line: 2, a: '1', b: '2' },
      { line: 4, a: '3', b: 'x\ny' },
      { line: 6, a: '4', b: '5' },
    ]);
    expect(table?.read).toBe(3);
  });

  it('numbers CRLF files, and spreadsheet exports mixing CRLF rows with LF cells, like an editor', () => {
    const { rows } = read('a,b\r\n1,"x\ny"\r\n2,3\r\n');
    expect(rows?.map((r) => r.line)).toEqual([2, 4]);
  });

  it('reports a row with the wrong number of fields and keeps the others', () => {
    const { rows, errors, table } = read('a,b\n1,2\n3\n4,5,6\n7,8');
    expect(rows?.map((r) => r.a)).toEqual(['1', '7']);
    expect(errors).toEqual([
      { file: 'f.csv', line: 3, message: 'expected 2 fields, found 1' },
      { file: 'f.csv', line: 4, message: 'expected 2 fields, found 3' },
    ]);
    expect(table?.read).toBe(4);
  });

  it('recovers after a stray quote: the bad line is reported, parsing goes on with the next', () => {
    const { rows, errors, table } = read('a,b\n1,2\n"3"x,4\n5,6\n');
    expect(rows?.map((r) => r.a)).toEqual(['1', '5']);
    expect(errors).toEqual([{ file: 'f.csv', line: 3, message: 'malformed CSV: Invalid Closing Quote' }]);
    expect(table?.read).toBe(3);
  });

  it('recovers after an unclosed quote instead of losing the rest of the file', () => {
    const { rows, errors } = read('a,b\n1,2\n\n3,"never closed\n5,6\n7,8');
    expect(rows?.map((r) => [r.line, r.a])).toEqual([
      [2, '1'],
      [5, '5'],
      [6, '7'],
    ]);
    expect(errors).toEqual([{ file: 'f.csv', line: 4, message: 'malformed CSV: Quote Not Closed' }]);
  });

  it('reads backslash-escaped quotes when the writer uses them', () => {
    expect(read('a,b\n"say \\"hi\\"",2\n', '\\').rows).toEqual([{ line: 2, a: 'say "hi"', b: '2' }]);
  });

  it('reports an empty file', () => {
    const { table, errors } = read('');
    expect(table).toBeNull();
    expect(errors).toEqual([{ file: 'f.csv', line: 1, message: 'empty file: no header row' }]);
  });
});
