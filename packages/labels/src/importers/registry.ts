/**
 * Every label source custos can import, by id. The CLI (`custos labels import <id> <path>`) and
 * the store look sources up here; `shipped` says which make up the default label set.
 */
import { BaseError } from '@custos/core';
import { dawsbotTokens } from './dawsbot-tokens.js';
import { etherscanBrianleect, etherscanDawsbot } from './etherscan.js';
import { fortaLabelled } from './forta-labelled.js';
import { fortaAttacks, fortaFalsePositives } from './forta-starter-kits.js';
import { genericCsv, genericJson } from './generic.js';
import { metamaskPhishing } from './metamask.js';
import { mewDarklist, mewLightlist, mewUrls } from './mew.js';
import { ofacB10C, ofacUltrasound } from './ofac.js';
import { scamsnifferAddresses } from './scamsniffer.js';
import type { LabelSource } from './types.js';

export const LABEL_SOURCES: readonly LabelSource[] = [
  metamaskPhishing,
  fortaLabelled,
  fortaFalsePositives,
  fortaAttacks,
  mewDarklist,
  mewLightlist,
  mewUrls,
  ofacB10C,
  ofacUltrasound,
  etherscanBrianleect,
  etherscanDawsbot,
  dawsbotTokens,
  genericCsv,
  genericJson,
  scamsnifferAddresses,
];

export function getLabelSource(id: string): LabelSource {
  const source = LABEL_SOURCES.find((s) => s.id === id);
  if (source) return source;
  throw new BaseError('LABELS_UNKNOWN_SOURCE', `unknown label source "${id}"`, {
    details: { id },
    hints: [`Valid sources: ${LABEL_SOURCES.map((s) => s.id).join(', ')}.`],
  });
}
