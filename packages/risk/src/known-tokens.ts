/**
 * The known-token table: which addresses are real tokens on which chain, and under which symbols.
 * Built from the token list the label layer ships (dawsbot's eth-labels token export, MIT; see
 * @custos/labels data/sources/SOURCES.md) plus any list an operator adds. The risk rules use it to
 * say "this is the real USDT" — and, the other way round, that a token calling itself USDT at
 * another address impersonates it. Symbols are compared after Unicode compatibility folding and
 * removal of invisible characters, so `ＵＳＤＴ` or `USDT\u200b` still match `USDT`.
 */
import { readFileSync } from 'node:fs';
import { BaseError } from '@custos/core';
import { defaultSourcePath } from '@custos/labels';
import { parse } from 'csv-parse/sync';
import type { Address } from './types.js';

export interface KnownToken {
  chainId: number;
  address: Address;
  symbol: string;
}

/** NFKC, no zero-width or control characters, uppercase, Cyrillic/Greek look-alikes mapped to Latin. */
export function foldSymbol(symbol: string): string {
  const folded = symbol
    .normalize('NFKC')
    .replace(/[\p{Cc}\p{Cf}]/gu, '')
    .trim()
    .toUpperCase();
  let out = '';
  for (const ch of folded) out += CONFUSABLES[ch] ?? ch;
  return out;
}

// Capital letters from other scripts that render like Latin ones (the common token-symbol spoofs).
const CONFUSABLES: Readonly<Record<string, string>> = {
  А: 'A',
  В: 'B',
  С: 'C',
  Е: 'E',
  Н: 'H',
  І: 'I',
  Ј: 'J',
  К: 'K',
  М: 'M',
  О: 'O',
  Р: 'P',
  Ѕ: 'S',
  Т: 'T',
  Х: 'X',
  У: 'Y',
  Α: 'A',
  Β: 'B',
  Ε: 'E',
  Ζ: 'Z',
  Η: 'H',
  Ι: 'I',
  Κ: 'K',
  Μ: 'M',
  Ν: 'N',
  Ο: 'O',
  Ρ: 'P',
  Τ: 'T',
  Υ: 'Y',
  Χ: 'X',
  '0': '0',
};

let shipped: KnownTokens | undefined;

export class KnownTokens {
  readonly #byAddress = new Map<string, KnownToken>();
  readonly #bySymbol = new Map<string, Address[]>();
  #frozen = false;

  constructor(tokens: Iterable<KnownToken> = []) {
    for (const t of tokens) this.add(t);
  }

  add(token: KnownToken): void {
    if (this.#frozen) {
      throw new BaseError(
        'INVALID_INPUT',
        'the shipped known-token table is shared: build a new KnownTokens to extend it',
      );
    }
    const address = token.address.toLowerCase() as Address;
    const key = `${token.chainId}:${address}`;
    if (!this.#byAddress.has(key)) this.#byAddress.set(key, { ...token, address });
    const symbolKey = `${token.chainId}:${foldSymbol(token.symbol)}`;
    const list = this.#bySymbol.get(symbolKey) ?? [];
    if (!list.includes(address)) list.push(address);
    this.#bySymbol.set(symbolKey, list);
  }

  get size(): number {
    return this.#byAddress.size;
  }

  get(chainId: number, address: Address): KnownToken | undefined {
    return this.#byAddress.get(`${chainId}:${address}`);
  }

  /** The real addresses of tokens with this symbol on this chain (empty when none is known). */
  addressesForSymbol(chainId: number, symbol: string): readonly Address[] {
    return this.#bySymbol.get(`${chainId}:${foldSymbol(symbol)}`) ?? [];
  }

  /**
   * The token list shipped with @custos/labels, parsed once per process (about 15,600 tokens;
   * parsing takes a few hundred milliseconds), shared and read-only: build your own `KnownTokens`
   * to extend it.
   */
  static loadDefault(): KnownTokens {
    if (shipped === undefined) {
      shipped = new KnownTokens(
        parseTokenCsv(readFileSync(defaultSourcePath('eth-labels-dawsbot-tokens/tokens.csv'), 'utf8')),
      );
      shipped.#frozen = true;
    }
    return shipped;
  }
}

/** `address,chainId,label,name,symbol,…` rows; rows without a valid address, chain or symbol are left out. */
function parseTokenCsv(text: string): KnownToken[] {
  // The list's writer escapes quotes inside quoted fields with a backslash.
  const rows = parse(text, { columns: true, escape: '\\', skip_empty_lines: true, relax_column_count: true }) as Record<
    string,
    string | undefined
  >[];
  const out: KnownToken[] = [];
  for (const row of rows) {
    const { address, chainId, symbol } = row;
    if (address === undefined || chainId === undefined || symbol === undefined || symbol === '') continue;
    if (!/^0x[0-9a-fA-F]{40}$/.test(address) || !/^[0-9]+$/.test(chainId)) continue;
    out.push({ chainId: Number(chainId), address: address.toLowerCase() as Address, symbol });
  }
  return out;
}
