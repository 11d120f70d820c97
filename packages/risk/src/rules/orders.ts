/**
 * Marketplace-order rules (Seaport, Blur, 0x, 1inch, UniswapX, LooksRare): a signed order is a
 * transfer waiting to happen. The theft pattern is an order whose consideration pays the offerer
 * nothing — every item goes to someone else — which Blockaid reports as seaport_farming,
 * blur_farming or trade_order_farming and Blowfish as TRADE_FOR_NOTHING; its softer cousin sells
 * NFTs for a token amount that is next to nothing.
 */
import type { Finding, Intent, OrderItem } from '../types.js';
import { big, finding, type Rule, type RuleContext, short } from './context.js';
import { orderReason } from './counterparty.js';

type OrderIntent = Extract<Intent, { kind: 'order' }>;

function givesSomething(order: OrderIntent): boolean {
  return order.offer.some((item) => big(item.amount) > 0n || item.asset === 'erc721');
}

function toOfferer(order: OrderIntent, item: OrderItem): boolean {
  return item.recipient === undefined || item.recipient === order.offerer;
}

/** What the offerer gets back (only items paid to the offerer). */
export function returnsToOfferer(order: OrderIntent): OrderItem[] {
  return order.consideration.filter((item) => toOfferer(order, item) && big(item.amount) > 0n);
}

export const tradeForNothing: Rule = {
  id: 'trade_for_nothing',
  description:
    'An order whose consideration returns nothing to the offerer while the offer gives assets away: block, as seaport_farming, blur_farming or trade_order_farming by market.',
  evaluate(decoded) {
    const findings: Finding[] = [];
    for (const intent of decoded.intents) {
      if (intent.kind !== 'order' || !givesSomething(intent)) continue;
      if (returnsToOfferer(intent).length > 0) continue;
      const others = [...new Set(intent.consideration.map((c) => c.recipient).filter((r) => r !== undefined))];
      const to = others.length > 0 ? ` — every item goes to ${others.map(short).join(', ')}` : '';
      findings.push(
        finding(
          orderReason(intent.market),
          'critical',
          `This ${intent.market} order gives away ${intent.offer.length} item(s) and pays you nothing${to}.`,
          others[0],
        ),
      );
    }
    return findings;
  },
};

/** Amounts below a thousandth of one whole unit count as next to nothing. */
function isDust(item: OrderItem, context: RuleContext): boolean {
  const decimals = item.asset === 'native' ? 18 : context.token(item.token).decimals;
  if (decimals === undefined) return false;
  const unit = 10n ** BigInt(decimals);
  return big(item.amount) * 1000n < unit;
}

export const nftUnderpriced: Rule = {
  id: 'nft_sold_for_nothing',
  description:
    'An order that sells NFTs for a payment of less than a thousandth of one token unit (native or an ERC-20 with known decimals): warn.',
  evaluate(decoded, context) {
    const findings: Finding[] = [];
    for (const intent of decoded.intents) {
      if (intent.kind !== 'order') continue;
      const sellsNft = intent.offer.some((item) => item.asset === 'erc721' || item.asset === 'erc1155');
      const paid = returnsToOfferer(intent);
      if (!sellsNft || paid.length === 0) continue;
      if (paid.some((item) => item.asset === 'erc721' || item.asset === 'erc1155' || item.asset === 'unknown'))
        continue;
      if (paid.every((item) => isDust(item, context))) {
        findings.push(
          finding(
            'nft_sold_for_nothing',
            'warning',
            `This ${intent.market} order sells NFTs for next to nothing (${paid.map((p) => p.amount).join(' + ')} base units).`,
          ),
        );
      }
    }
    return findings;
  },
};

export const privateOrder: Rule = {
  id: 'private_order',
  description: 'An order only one named taker can fill, who is not the signer: warn (Rabby 1081).',
  evaluate(decoded, context) {
    const findings: Finding[] = [];
    for (const intent of decoded.intents) {
      if (intent.kind !== 'order' || intent.taker === undefined) continue;
      if (intent.taker === context.signer || intent.taker === intent.offerer) continue;
      findings.push(
        finding('private_order', 'warning', `Only ${short(intent.taker)} can fill this order.`, intent.taker),
      );
    }
    return findings;
  },
};
