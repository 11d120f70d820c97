/**
 * Reads the elements of a JSON array (or the members of a JSON object) one by one, each with the
 * line it starts on. `JSON.parse` alone gives neither: it reports no positions for what it
 * parses, and one broken element loses the whole file. Here a small scanner finds where each
 * top-level element starts and ends — it only tracks nesting and strings, it does not validate —
 * and each element is then parsed on its own, so a malformed one is reported at its line and the
 * others are still imported. Files written on one line (the Etherscan scrapes) simply put every
 * element on line 1.
 */
import type { BatchBuilder } from './util.js';

export interface JsonItem {
  /** 1-based line the element (for an object: its key) starts on. */
  line: number;
  /** The member name, or null for an array element. */
  key: string | null;
  value: unknown;
}

export interface JsonItems {
  items: JsonItem[];
  /** Elements found, the malformed ones included. */
  read: number;
}

interface RawItem {
  line: number;
  /** Line the value starts on (differs from `line` when an object member's value starts later). */
  valueLine: number;
  keyText: string | null;
  valueText: string;
}

const NEWLINE = 10;
const QUOTE = 34;
const BACKSLASH = 92;

/** A cursor over the text that keeps the current line. */
class Cursor {
  pos = 0;
  line: number;
  readonly text: string;

  constructor(text: string, line: number) {
    this.text = text;
    this.line = line;
  }

  get char(): string {
    return this.text[this.pos] ?? '';
  }

  skipSpace(): void {
    for (; this.pos < this.text.length; this.pos++) {
      const c = this.text.charCodeAt(this.pos);
      if (c === NEWLINE) this.line++;
      else if (c !== 32 && c !== 9 && c !== 13) return;
    }
  }

  /**
   * Skips a string from its opening quote. An unescaped newline ends it too: JSON strings cannot
   * hold one, and stopping there keeps a stray quote from swallowing the rest of the file.
   */
  skipString(): void {
    for (this.pos++; this.pos < this.text.length; this.pos++) {
      const c = this.text.charCodeAt(this.pos);
      if (c === BACKSLASH && this.text.charCodeAt(this.pos + 1) !== NEWLINE) this.pos++;
      else if (c === QUOTE) {
        this.pos++;
        return;
      } else if (c === NEWLINE) return;
    }
  }

  /** Skips one value; stops at a `,` or a closing bracket outside it (or at the end). */
  skipValue(): void {
    let depth = 0;
    while (this.pos < this.text.length) {
      const c = this.char;
      if (c === '"') {
        this.skipString();
        continue;
      }
      if (c === '[' || c === '{') depth++;
      else if (c === ']' || c === '}') {
        if (depth === 0) return;
        depth--;
      } else if (c === ',' && depth === 0) return;
      else if (c === '\n') this.line++;
      this.pos++;
    }
  }
}

/**
 * Splits the container `text` opens with (after white space: the caller checked it is `[` or
 * `{`) into raw elements; structural faults go to `fault`.
 */
function scan(text: string, baseLine: number, fault: (line: number, message: string) => void): RawItem[] {
  const cur = new Cursor(text, baseLine);
  cur.skipSpace();
  const open = cur.char;
  const close = open === '[' ? ']' : '}';
  const items: RawItem[] = [];
  cur.pos++;
  cur.skipSpace();
  if (cur.char === close) cur.pos++;
  else {
    for (;;) {
      cur.skipSpace();
      const line = cur.line;
      let keyText: string | null = null;
      if (open === '{') {
        const keyStart = cur.pos;
        if (cur.char === '"') cur.skipString();
        keyText = text.slice(keyStart, cur.pos);
        cur.skipSpace();
        if (cur.char === ':') cur.pos++;
        else keyText = `${keyText} (no ":" after the key)`;
        cur.skipSpace();
      }
      const valueLine = cur.line;
      const start = cur.pos;
      cur.skipValue();
      items.push({ line, valueLine, keyText, valueText: text.slice(start, cur.pos).trimEnd() });
      const stop = cur.char;
      cur.pos++;
      if (stop === ',') continue;
      if (stop === '') fault(cur.line, 'unexpected end of file');
      else if (stop !== close) fault(cur.line, `unexpected "${stop}"`);
      break;
    }
  }
  cur.skipSpace();
  if (cur.pos < text.length) fault(cur.line, 'unexpected content after the JSON value');
  return items;
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
}

interface Member {
  line: number;
  valueLine: number;
  key: string | null;
  valueText: string;
}

/** A problem found while scanning, reported once the whole container is read. */
interface Fault {
  line: number;
  message: string;
}

/**
 * Scans the container in `text` (a whole file, or a nested container whose text starts on
 * `baseLine`) into members with parsed names. A container of the wrong kind is one fault for the
 * file; a member whose name does not parse is a fault at its line and is left out.
 */
function scanMembers(
  text: string,
  expect: 'array' | 'object',
  baseLine: number,
): { members: Member[]; read: number; faults: Fault[] } {
  const faults: Fault[] = [];
  const offset = Math.max(0, text.search(/\S/));
  if (text[offset] !== (expect === 'array' ? '[' : '{')) {
    const line = baseLine + (text.slice(0, offset).match(/\n/g)?.length ?? 0);
    return { members: [], read: 0, faults: [{ line, message: `expected a JSON ${expect}` }] };
  }
  const raw = scan(text, baseLine, (line, message) => faults.push({ line, message: `malformed JSON: ${message}` }));
  const members: Member[] = [];
  for (const { line, valueLine, keyText, valueText } of raw) {
    const key = keyText === null ? null : parseJson(keyText);
    if (key === null) members.push({ line, valueLine, key: null, valueText });
    else if (key.ok && typeof key.value === 'string') members.push({ line, valueLine, key: key.value, valueText });
    else faults.push({ line, message: `malformed JSON: bad member name ${keyText?.slice(0, 60)}` });
  }
  return { members, read: raw.length, faults };
}

function report(faults: readonly Fault[], file: string, batch: BatchBuilder): void {
  for (const { line, message } of faults) batch.error({ file, line }, message);
}

/**
 * Reads the elements of a JSON array or the members of a JSON object, each parsed on its own;
 * one that does not parse is reported at its line and left out.
 */
export function readJsonItems(
  text: string,
  expect: 'array' | 'object',
  file: string,
  batch: BatchBuilder,
  baseLine = 1,
): JsonItems {
  const { members, read, faults } = scanMembers(text, expect, baseLine);
  const items: JsonItem[] = [];
  for (const { line, key, valueText } of members) {
    const parsed = valueText === '' ? { ok: false as const, message: 'empty element' } : parseJson(valueText);
    if (parsed.ok) items.push({ line, key, value: parsed.value });
    else faults.push({ line, message: `malformed JSON: ${parsed.message}` });
  }
  report(faults, file, batch);
  return { items, read };
}

/**
 * The members of a JSON object with their raw value text and the line each value starts on, so a
 * nested container (eth-phishing-detect's lists) can be read element by element with
 * `readJsonItems(valueText, 'array', file, batch, valueLine)`.
 */
export function readJsonMembers(
  text: string,
  file: string,
  batch: BatchBuilder,
): { key: string; valueText: string; valueLine: number }[] {
  const { members, faults } = scanMembers(text, 'object', 1);
  report(faults, file, batch);
  return members.map(({ key, valueText, valueLine }) => ({ key: key ?? '', valueText, valueLine }));
}
