import { describe, expect, it } from 'vitest';
import { readJsonItems, readJsonMembers } from './json-scan.js';
import { BatchBuilder } from './util.js';

function items(text: string, expect_: 'array' | 'object' = 'array') {
  const batch = new BatchBuilder('test');
  const result = readJsonItems(text, expect_, 'f.json', batch);
  return { ...result, errors: batch.build().errors };
}

describe('readJsonItems', () => {
  it('gives each element of a pretty-printed array the line it starts on', () => {
    const text = '[\n  {\n    "a": "x,]}"\n  },\n  "s\\"t",\n\n  [1, {"b": 2}]\n]\n';
    const { items: got, read, errors } = items(text);
    expect(errors).toEqual([]);
    expect(read).toBe(3);
    expect(got).toEqual([
      { line: 2, key: null, value: { a: 'x,]}' } },
      { line: 5, key: null, value: 's"t' },
      { line: 7, key: null, value: [1, { b: 2 }] },
    ]);
  });

  it('reads object members with their names, keeping repeated names (JSON.parse would drop them)', () => {
    const { items: got } = items('{"0xA": {"n": 1}, "0xa": {"n": 2}}', 'object');
    expect(got).toEqual([
      { line: 1, key: '0xA', value: { n: 1 } },
      { line: 1, key: '0xa', value: { n: 2 } },
    ]);
  });

  it('reports a malformed element at its line and keeps the others', () => {
    const { items: got, read, errors } = items('[\n  {"a": 1},\n  {"a": oops},\n  {"a": 3}\n]');
    expect(got.map((i) => i.value)).toEqual([{ a: 1 }, { a: 3 }]);
    expect(read).toBe(3);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ file: 'f.json', line: 3 });
    expect(errors[0]?.message).toMatch(/^malformed JSON: /);
  });

  it('keeps what precedes a truncated end, and an unterminated string stops at its line', () => {
    const { items: got, errors } = items('[\n  "a",\n  "b\n  ,"c"');
    expect(got.map((i) => i.value)).toEqual(['a', 'c']);
    expect(errors.map((e) => e.line)).toEqual([3, 4]);
    expect(errors[1]?.message).toBe('malformed JSON: unexpected end of file');
  });

  it('reports a file that is not JSON, or the wrong container, as one error', () => {
    expect(items('hello').errors).toEqual([{ file: 'f.json', line: 1, message: 'expected a JSON array' }]);
    expect(items('\n\n{"a": 1}').errors).toEqual([{ file: 'f.json', line: 3, message: 'expected a JSON array' }]);
    expect(items('[1]', 'object').errors).toEqual([{ file: 'f.json', line: 1, message: 'expected a JSON object' }]);
  });

  it('reports empty elements and trailing content', () => {
    expect(items('[1,,2]').errors).toEqual([{ file: 'f.json', line: 1, message: 'malformed JSON: empty element' }]);
    expect(items('[1]\nx').errors).toEqual([
      { file: 'f.json', line: 2, message: 'malformed JSON: unexpected content after the JSON value' },
    ]);
    expect(items('[]').items).toEqual([]);
  });
});

describe('readJsonMembers', () => {
  it('gives nested containers with the line their value starts on', () => {
    const batch = new BatchBuilder('test');
    const members = readJsonMembers('{\n  "n": 1,\n  "list":\n  [\n    "x"\n  ]\n}', 'f.json', batch);
    expect(members.map((m) => [m.key, m.valueLine])).toEqual([
      ['n', 2],
      ['list', 4],
    ]);
    const list = members[1];
    expect(list && readJsonItems(list.valueText, 'array', 'f.json', batch, list.valueLine).items).toEqual([
      { line: 5, key: null, value: 'x' },
    ]);
  });
});
