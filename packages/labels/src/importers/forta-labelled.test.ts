import { describe, expect, it } from 'vitest';
import { EVM_FAMILY } from '../model.js';
import { kind, readTwice, skipReasons, tally } from '../testing/importers/helpers.js';
import { shipped, synthetic } from '../testing/importers/paths.js';
import { fortaLabelled } from './forta-labelled.js';

describe('forta-labelled', () => {
  it('reads the shipped labels: 7,780 / 6,726 / 753 / 1 rows', async () => {
    const batch = await readTwice(fortaLabelled, shipped('forta-labelled-datasets'));
    expect(batch.rows).toEqual({
      'labels/1/etherscan_malicious_labels.csv': 7_780,
      'labels/1/phishing_scams.csv': 6_726,
      'labels/1/malicious_smart_contracts.csv': 753,
      'labels/10/malicious_smart_contracts.csv': 1,
    });
    expect(batch.errors).toEqual([]);
    // 7,780 + 6,726 + 2 × (753 + 1) rows give 16,014 candidate labels. The sets overlap heavily
    // (most phishing_scams accounts are also in etherscan_malicious_labels, and many contracts
    // share a creator), so 7,513 are duplicates of an earlier (scope, address, category).
    expect(batch.labels).toHaveLength(8_501);
    expect(skipReasons(batch)).toEqual({ duplicate: 7_513 });
    expect(new Set(batch.labels.map((l) => l.address)).size).toBe(7_893);
    expect(tally(batch.labels, kind)).toEqual({
      'block/phishing@0': 7_530,
      'block/heist@0': 82,
      'block/exploit@0': 169,
      'block/phishing@1': 569,
      'block/exploit@1': 112,
      'block/heist@1': 38,
      'block/exploit@10': 1,
    });
    // The Optimism row: the contract on chain 10, its creator on every EVM chain.
    expect(batch.labels.filter((l) => l.scope === 10 || l.name === 'Wintermute/OP Exploiter')).toMatchObject([
      { scope: 10, address: '0x4f3a120e72c76c22ae802d129f599bfdbc31cb81', name: 'Wintermute Exploiter Multisig' },
      { scope: EVM_FAMILY, address: '0x60b28637879b5a09d21b68040020ffbf7dba5107', category: 'exploit' },
    ]);
  });

  it('reports bad rows with file and line and keeps the good ones', async () => {
    const root = synthetic('forta-labelled', 'labels');
    const batch = await readTwice(fortaLabelled, root);
    expect(batch.rows).toEqual({
      '1/etherscan_malicious_labels.csv': 8,
      '1/phishing_scams.csv': 4,
      '10/malicious_smart_contracts.csv': 2,
    });
    expect(batch.errors).toEqual([
      {
        file: '1/etherscan_malicious_labels.csv',
        line: 5,
        message: 'banned_address: not an address ("0x80e23a71343df6320824788b0466d05fcd679d")',
      },
      {
        file: '1/etherscan_malicious_labels.csv',
        line: 6,
        message: 'data_source: unknown list "etherscan-rugpull-list"',
      },
      { file: '1/etherscan_malicious_labels.csv', line: 7, message: 'expected 3 fields, found 2' },
      { file: '1/phishing_scams.csv', line: 5, message: 'is_contract: expected True or False' },
      {
        file: '10/malicious_smart_contracts.csv',
        line: 3,
        message: 'contract_creator: not an address ("0xnot-an-address")',
      },
    ]);
    // The upper-case repeat of line 2 is the same label.
    expect(batch.skipped).toEqual([{ file: '1/etherscan_malicious_labels.csv', line: 8, reason: 'duplicate' }]);
    expect(batch.labels.map((l) => [l.scope, l.address.slice(0, 10), l.name])).toEqual([
      [0, '0x80d7bb18', 'Fake_Phishing1772'],
      [0, '0x80e02ae8', 'Fake_Phishing1863'],
      [0, '0x80e23a71', 'Fake_Phishing3640'],
      [0, '0x80e313e4', 'Fake_Phishing4450'],
      [0, '0x00000000', 'Fake_Phishing3901'],
      [0, '0x00000000', 'Fake_Phishing4939'],
      [1, '0x00000006', 'Adidas Originals Metaverse (ADIDAS)'],
      [10, '0x4f3a120e', 'Wintermute Exploiter Multisig'],
      [0, '0x60b28637', 'Wintermute/OP Exploiter'],
    ]);
  });

  it('accepts the repository root as well as its labels directory', async () => {
    const fromRoot = await fortaLabelled.read(synthetic('forta-labelled'));
    expect(Object.keys(fromRoot.rows)[0]).toBe('labels/1/etherscan_malicious_labels.csv');
    expect(fromRoot.labels).toEqual((await fortaLabelled.read(synthetic('forta-labelled', 'labels'))).labels);
  });

  it('fails with LABELS_IMPORT_FAILED on a missing path or a directory without label files', async () => {
    await expect(fortaLabelled.read(synthetic('forta-labelled', 'nope'))).rejects.toMatchObject({
      code: 'LABELS_IMPORT_FAILED',
    });
    await expect(fortaLabelled.read(synthetic('metamask'))).rejects.toMatchObject({ code: 'LABELS_IMPORT_FAILED' });
  });
});
