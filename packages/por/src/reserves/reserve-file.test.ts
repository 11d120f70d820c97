/**
 * The reserve-file reader on OKX's three published layouts (fixtures copied from
 * okx/proof-of-reserves, see test/fixtures/reserves/SOURCES.md) and on malformed input, which
 * must fail with a POR_INVALID_INPUT naming the line.
 */
import { readFileSync } from 'node:fs';
import { BaseError } from '@custos/core';
import { describe, expect, it } from 'vitest';
import { parseReserveFile, parseReserveSummary, splitReserveCsvLine } from './reserve-file.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../../test/fixtures/reserves/${name}`, import.meta.url), 'utf8');

function parseError(text: string): BaseError {
  try {
    parseReserveFile(text);
  } catch (error) {
    if (error instanceof BaseError) return error;
    throw error;
  }
  throw new Error('expected parseReserveFile to throw');
}

const HEADER_11 =
  'coin,Network,Snapshot Height,address,amount,message,signature1,signature2,redeem script/ public key, eoa1, eoa2';
const HEADER_9 = 'digitalAsset,network,address,signedMessage,signedMessage2,message,publicKey,owner1,owner2';

describe('parseReserveFile on OKX’s 11-column report', () => {
  const file = parseReserveFile(fixture('okx_por_example.csv'));

  it('detects the layout and reads the 12-row summary block exactly', () => {
    expect(file.layout).toBe('okx-11-column');
    expect(file.summary.map((s) => [s.line, s.asset, s.snapshotHeight, s.amount.toFixed()])).toEqual([
      [2, 'ETH(ALL)', null, '6'],
      [3, 'USDT(ALL)', null, '5569'],
      [4, 'USDT-TRC20', 46095694, '5436.9044'],
      [5, 'ETH', 16005122, '5.2834'],
      [6, 'USDT-POLY', 35807652, '0'],
      [7, 'USDT-AVAXC', 22578912, '0'],
      [8, 'ETH-ARBITRUM', 39362849, '0.2214'],
      [9, 'ETH-OPTIMISM', 39762040, '1.3971'],
      [10, 'USDT-ERC20', 16005122, '0'],
      [11, 'USDT-ARBITRUM', 39363197, '0'],
      [12, 'USDT-OPTIMISM', 39762261, '132.5138'],
      [13, 'BTC', 763861, '449.5140'],
    ]);
    // Kept at the scale it is written with: trailing zeros are significant text, not rounding.
    expect(file.summary[11]?.amount.scale).toBe(4);
  });

  it('reads the address rows, with owners, public keys and 18-decimal amounts kept exactly', () => {
    expect(file.rows.map((r) => [r.line, r.asset, r.network, r.snapshotHeight])).toEqual([
      [16, 'ETH', 'ETH', 20914735],
      [17, 'ETH', 'ETH', 20914735],
      [18, 'ETH', 'ETH', 20914735],
      [19, 'USDT-TON', 'TON', 43716515],
      [20, 'APTOS', 'APTOS', 100],
    ]);
    const [first, , multi, ton, aptos] = file.rows;
    expect(first?.amount?.toFixed()).toBe('0.058959708849230328');
    expect(first?.amount?.units).toBe(58959708849230328n);
    expect(first).not.toHaveProperty('owners');
    expect(first).not.toHaveProperty('redeemScriptOrPublicKey');
    expect(first?.signatures).toHaveLength(1);
    expect(multi?.signatures).toHaveLength(2);
    expect(multi?.owners).toEqual([
      '0x0cdcdb19a857c2ac24818ca4fdfe38cce071483e',
      '0x16f01cfc16b0b8c3400fb8e5099b0974fcc9fc12',
    ]);
    expect(ton?.redeemScriptOrPublicKey).toBe('6711ba8eaa47855b01d73e3849cd93861b1c11d7a86ae5fb8f96bb63d9be5a6b');
    expect(aptos?.owners).toEqual(['0x5bb5d85934c7587a22960ef72e9d8cd5313a60447e57a2183b1aae285d90352e']);
    expect(aptos?.message).toBe('I am an OKX address');
  });

  it('parses the summary block on its own', () => {
    expect(parseReserveSummary(fixture('okx_por_example.csv'))).toEqual(file.summary);
  });
});

describe('parseReserveFile on OKX’s 12-column staking report', () => {
  const file = parseReserveFile(fixture('okx_por_staking_example.csv'));

  it('reads the Type column and the validator-key address', () => {
    expect(file.layout).toBe('okx-12-column');
    expect(file.summary).toHaveLength(1);
    expect(file.summary[0]?.snapshotHeight).toBeNull();
    expect(file.rows.map((r) => [r.line, r.stakingType, r.amount?.toString(), r.owners?.length ?? 0])).toEqual([
      [5, 'Non Staking', '0.058959708849230328', 0],
      [6, 'Native ETH Staking', '32', 1],
      [7, 'Eigenlayer Staking', '32', 2],
    ]);
    expect(file.rows[1]?.address).toHaveLength(2 + 96);
  });
});

describe('parseReserveFile on OKX’s 9-column list', () => {
  const file = parseReserveFile(fixture('test.csv'));

  it('reads every row and treats "null" as an absent cell', () => {
    expect(file.layout).toBe('okx-9-column');
    expect(file.summary).toEqual([]);
    expect(file.rows.map((r) => [r.line, r.asset, r.network, r.signatures.length])).toEqual([
      [2, 'USDT', 'ETH', 1],
      [3, 'ETH', 'STARKNET', 1],
      [4, 'BTC', 'BTC', 2],
      [5, 'DOT', 'DOT', 1],
      [6, 'ADA', 'ADA', 1],
      [7, 'DOGE', 'DOGE', 2],
      [8, 'ETC', 'OKC', 1],
      [9, 'TRX', 'TRON', 1],
      [10, 'EOS', 'Vaulta', 1],
    ]);
    for (const row of file.rows) {
      expect(row).not.toHaveProperty('snapshotHeight');
      expect(row).not.toHaveProperty('amount');
      expect(row.message).toBe('OKC_DTT_AUP2025');
    }
    expect(file.rows[0]).not.toHaveProperty('redeemScriptOrPublicKey');
    expect(file.rows[6]).not.toHaveProperty('redeemScriptOrPublicKey');
    expect(file.rows[8]?.redeemScriptOrPublicKey).toBe('EOS7nGMZSQxyvJkH5WDnuGsSQMp7yCRYA5AX4GMAXh6WtmqnMT79X');
  });

  it('has no summary block', () => {
    expect(() => parseReserveSummary(fixture('test.csv'))).toThrowError(/no summary block/);
  });
});

describe('splitReserveCsvLine', () => {
  it('honours RFC 4180 quotes and keeps commas inside braces and brackets', () => {
    expect(splitReserveCsvLine('a,"b,c","say ""hi""",d', 1)).toEqual(['a', 'b,c', 'say "hi"', 'd']);
    expect(splitReserveCsvLine('EOS,{"publicKey1":"x","publicKey2":"y"},[1,2],z', 1)).toEqual([
      'EOS',
      '{"publicKey1":"x","publicKey2":"y"}',
      '[1,2]',
      'z',
    ]);
    expect(splitReserveCsvLine(' a , b ,', 1)).toEqual(['a', 'b', '']);
  });
});

describe('parseReserveFile rejects malformed files with the line number', () => {
  const cases: [string, string, RegExp][] = [
    ['an empty file', '\n\n', /the file is empty/],
    ['an unknown header', 'coin,amount\nBTC,1\n', /line 1: unrecognised header/],
    ['a summary row with four cells', 'coin,snapshot height,amount\nBTC,1,2,3\n', /line 2: expected 3 cells, got 4/],
    ['an exponent in a summary amount', 'coin,snapshot height,amount\nBTC,1,1e5\n', /line 2: "amount" expected/],
    ['a negative amount', `${HEADER_11}\nETH,ETH,1,0xabc,-1,msg,sig\n`, /line 2: "amount" expected a non-negative/],
    ['a height that is not an integer', `${HEADER_11}\nETH,ETH,12.5,0xabc,1,msg,sig\n`, /line 2: "Snapshot Height"/],
    ['too many cells', `${HEADER_11}\nETH,ETH,1,0xabc,1,msg,s1,s2,sc,e1,e2,extra\n`, /line 2: expected 6 to 11 cells/],
    ['too few cells', `${HEADER_9}\nBTC,BTC,bc1q\n`, /line 2: expected 6 to 9 cells, got 3/],
    ['an empty address', `${HEADER_9}\nBTC,BTC,,sig,,msg,,,\n`, /line 2: the "address" cell is empty/],
    ['an empty message', `${HEADER_9}\n\nBTC,BTC,bc1q,sig,,null,,,\n`, /line 3: the "message" cell is empty/],
    ['an unclosed quote', `${HEADER_9}\nBTC,BTC,"bc1q,sig,,msg,,,\n`, /line 2: a quoted cell is not closed/],
    ['a summary without address rows', 'coin,snapshot height,amount\nBTC,1,2\n\n', /not followed by address rows/],
    ['a 9-column header after a summary block', `coin,snapshot height,amount\nBTC,1,2\n\n${HEADER_9}\n`, /line 4/],
  ];
  for (const [name, text, message] of cases) {
    it(`rejects ${name}`, () => {
      const error = parseError(text);
      expect(error.code).toBe('POR_INVALID_INPUT');
      expect(error.shortMessage).toMatch(message);
    });
  }

  it('puts the line into the error details', () => {
    expect(parseError(`${HEADER_9}\n\n\nBTC,BTC,,sig,,msg,,,\n`).details.line).toBe(4);
  });

  it('accepts CRLF line ends and a byte-order mark', () => {
    const text = `\uFEFF${fixture('test.csv').replace(/\n/g, '\r\n')}`;
    expect(parseReserveFile(text).rows).toEqual(parseReserveFile(fixture('test.csv')).rows);
  });
});
