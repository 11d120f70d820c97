/**
 * The DEEP step's shared pieces (Ben-Sasson, Goldberg, Kopparty, Saraf, "DEEP-FRI", ITCS 2020):
 * the out-of-domain point and the DEEP composition coefficients, drawn alike by both sides.
 */
import type { Transcript } from '../crypto/transcript.js';
import type { Ext } from '../math/ext.js';
import * as E from '../math/ext.js';
import type { Air } from './air.js';
import type { Layout } from './layout.js';

/**
 * z is drawn from the extension field, redrawn while it lies in the base field: a base-field z
 * could fall in the trace domain (dividing by zero) or the evaluation domain (making the DEEP
 * quotient there undefined). The chance of a redraw is about 2^−93.
 */
export function drawOodPoint(transcript: Transcript, _layout: Layout): Ext {
  for (;;) {
    const z = transcript.drawExt();
    if (!E.isBase(z)) return z;
  }
}

/**
 * One coefficient per DEEP term, in the order the terms are summed: for each main column its z
 * and z·g terms, the same for each aux column, then each composition chunk's z term.
 */
export function deepCoefficients(transcript: Transcript, air: Air, layout: Layout): Ext[] {
  const count = 2 * air.mainWidth + 2 * air.auxWidth + layout.numChunks;
  const out: Ext[] = [];
  for (let i = 0; i < count; i++) out.push(transcript.drawExt());
  return out;
}
