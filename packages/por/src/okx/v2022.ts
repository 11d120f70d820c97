/**
 * Verifier for OKX's first liabilities format (the `merkle_proof_file.json` users downloaded from
 * November 2022 to March 2023): one user's leaf plus the sibling of every node on the way to the
 * root, in a Merkle sum tree over BTC, ETH and USDT balances. We follow the file format and hashing
 * rules of OKX's published MerkleValidator but check more than it does, because its checks leave
 * parts of the file unbound: the heights must follow the position in the path (OKX trusts each
 * sibling's own height), a padding sibling must really be the zero-balance copy of this node, the
 * leaf sibling's nonce (when given) must reproduce its hash, every audit id must agree, and no
 * revealed balance may be negative. What such a file can never prove is in the package docs: the
 * node hash commits only to the sum of its two children, so different users can be shown
 * different sibling sums under the same root.
 */
import {
  addUnits,
  balancesJson,
  equalUnits,
  expectHash,
  expectInteger,
  expectObject,
  formatBalances,
  internalNodeHash,
  invalidInput,
  isZeroUnits,
  negativeAsset,
  OKX_ASSETS,
  type OkxBalances,
  type OkxUnits,
  parseBalances,
  proofInvalid,
  readJson,
  sha256Text,
} from './common.js';

/** A node of the user's path as recomputed by the verifier. */
export interface Okx2022Node {
  readonly height: number;
  readonly hash: string;
  readonly balances: OkxBalances;
}

export interface Okx2022Result {
  readonly valid: true;
  /** The audit id the file carries (the same in every entry), or null when it carries none. */
  readonly auditId: string | null;
  /** The user's leaf hash, sha256(nonce ‖ compact balances JSON). */
  readonly userHash: string;
  readonly userBalances: OkxBalances;
  /** The root the path hashes to; its hash and sums equal the root entry of the file. */
  readonly root: Okx2022Node;
  /** Height of the tree: the root's height (leaves are height 1). */
  readonly levels: number;
  /** The user's leaf and every ancestor up to the root, recomputed from the file (leaf first). */
  readonly path: readonly Okx2022Node[];
}

/** Tree heights beyond this would mean more than 2^63 leaves; such a file is not real. */
const MAX_HEIGHT = 64;

const TYPE_LEFT = 1;
const TYPE_RIGHT = 2;
const TYPE_ROOT = 3;
const TYPE_PADDING = 4;

interface Entry {
  readonly field: string;
  readonly type: number;
  readonly height: number;
  readonly hash: string;
  readonly nonce: string | undefined;
  readonly auditId: string | undefined;
  readonly balances: OkxBalances;
  readonly units: OkxUnits;
}

function readEntry(value: unknown, field: string, isSelf: boolean): Entry {
  const required = isSelf ? ['balances', 'hash', 'height', 'nonce', 'type'] : ['balances', 'hash', 'height', 'type'];
  const optional = isSelf ? ['auditId'] : ['auditId', 'nonce'];
  const object = expectObject(value, field, required, optional);
  const { balances, units } = parseBalances(object.balances, `${field}.balances`);
  let auditId: string | undefined;
  if (object.auditId !== undefined) {
    if (typeof object.auditId !== 'string' || object.auditId.length === 0) {
      throw invalidInput('malformed', `"${field}.auditId" expected a non-empty string`, {
        field: `${field}.auditId`,
      });
    }
    auditId = object.auditId;
  }
  return {
    field,
    type: expectInteger(object.type, `${field}.type`, 1, 4),
    height: expectInteger(object.height, `${field}.height`, 1, MAX_HEIGHT),
    hash: expectHash(object.hash, `${field}.hash`),
    nonce: object.nonce === undefined ? undefined : expectHash(object.nonce, `${field}.nonce`, 'a 64-digit hex nonce'),
    auditId,
    balances,
    units,
  };
}

function parseProof(file: unknown): { self: Entry; path: Entry[] } {
  const document = expectObject(readJson(file, 'proof file'), 'proof', ['path', 'self']);
  const self = readEntry(document.self, 'self', true);
  const rawPath = document.path;
  if (!Array.isArray(rawPath) || rawPath.length < 2 || rawPath.length > MAX_HEIGHT) {
    throw invalidInput('malformed', `"path" expected an array of 2..${MAX_HEIGHT} nodes (siblings, then the root)`, {
      field: 'path',
    });
  }
  const path = rawPath.map((entry: unknown, i) => readEntry(entry, `path[${i}]`, false));
  path.forEach((entry, i) => {
    if (i > 0 && entry.nonce !== undefined) {
      throw invalidInput('malformed', `"${entry.field}.nonce": only the leaf sibling (path[0]) can carry a nonce`, {
        field: `${entry.field}.nonce`,
      });
    }
  });
  return { self, path };
}

/** Audit ids, node types and heights: the parts of the file no hash covers. */
function checkStructure(self: Entry, path: readonly Entry[]): void {
  const ids = new Set([self, ...path].map((e) => e.auditId).filter((id) => id !== undefined));
  if (ids.size > 1) {
    throw proofInvalid('audit-id', 'the entries of the proof carry different audit ids', { count: ids.size });
  }
  if (self.height !== 1) {
    throw proofInvalid('height', `"self.height" must be 1 (the user is a leaf), got ${self.height}`, {
      field: 'self.height',
    });
  }
  if (self.type !== TYPE_LEFT && self.type !== TYPE_RIGHT) {
    throw proofInvalid('position', `"self.type" must be 1 (left) or 2 (right), got ${self.type}`, {
      field: 'self.type',
    });
  }
  const last = path.length - 1;
  path.forEach((entry, i) => {
    if (entry.height !== i + 1) {
      throw proofInvalid('height', `"${entry.field}.height" must be ${i + 1} at this place in the path`, {
        field: `${entry.field}.height`,
        expected: i + 1,
        actual: entry.height,
      });
    }
    if ((entry.type === TYPE_ROOT) !== (i === last)) {
      throw proofInvalid(
        'position',
        i === last ? 'the last path entry must be the root (type 3)' : `"${entry.field}" is typed root but is not last`,
        { field: `${entry.field}.type` },
      );
    }
  });
  const first = path[0] as Entry;
  const siblingOk =
    self.type === TYPE_LEFT ? first.type === TYPE_RIGHT || first.type === TYPE_PADDING : first.type === TYPE_LEFT;
  if (!siblingOk) {
    throw proofInvalid('position', `"path[0].type" ${first.type} does not fit "self.type" ${self.type}`, {
      field: 'path[0].type',
    });
  }
  for (const entry of [self, ...path]) {
    const asset = negativeAsset(entry.units);
    if (asset !== undefined) {
      throw proofInvalid('negative-balance', `"${entry.field}.balances.${asset}" is negative`, {
        field: `${entry.field}.balances.${asset}`,
      });
    }
  }
}

/**
 * Verifies an OKX November-2022 Merkle path file (text or parsed JSON). Returns the recomputed
 * path and root, or throws `POR_INVALID_INPUT` for a file that is not in the format and
 * `POR_PROOF_INVALID` (with `details.reason`) for one that does not verify.
 */
export function verifyOkx2022Proof(file: unknown): Okx2022Result {
  const { self, path } = parseProof(file);
  checkStructure(self, path);

  const userHash = sha256Text(`${self.nonce}${balancesJson(self.balances)}`);
  if (userHash !== self.hash) {
    throw proofInvalid('leaf-hash', 'the user leaf hash is not sha256(nonce ‖ balances)', { field: 'self.hash' });
  }
  const first = path[0] as Entry;
  if (first.nonce !== undefined && first.type !== TYPE_PADDING) {
    if (sha256Text(`${first.nonce}${balancesJson(first.balances)}`) !== first.hash) {
      throw proofInvalid('sibling-leaf-hash', 'the leaf sibling hash is not sha256(nonce ‖ balances)', {
        field: 'path[0].hash',
      });
    }
  }

  let node = { height: 1, hash: self.hash, units: self.units };
  const recomputed: Okx2022Node[] = [{ height: 1, hash: self.hash, balances: self.balances }];
  for (const sibling of path.slice(0, -1)) {
    // A padding node is the zero-balance copy of the node it pairs with, always on the right.
    const isCopy = sibling.hash === node.hash;
    if (sibling.type === TYPE_PADDING && (!isCopy || !isZeroUnits(sibling.units))) {
      throw proofInvalid('padding', `"${sibling.field}" is typed padding but is not a zero-balance copy of its pair`, {
        field: sibling.field,
      });
    }
    if (sibling.type !== TYPE_PADDING && isCopy) {
      throw proofInvalid('padding', `"${sibling.field}" copies the node it pairs with but is not typed padding (4)`, {
        field: sibling.field,
      });
    }
    const [left, right] = sibling.type === TYPE_LEFT ? [sibling.hash, node.hash] : [node.hash, sibling.hash];
    const units = addUnits(node.units, sibling.units);
    const balances = formatBalances(units);
    const height = node.height + 1;
    node = { height, hash: internalNodeHash(left, right, balances, height), units };
    recomputed.push({ height, hash: node.hash, balances });
  }

  const root = path[path.length - 1] as Entry;
  if (!equalUnits(node.units, root.units)) {
    const asset = OKX_ASSETS.find((a) => node.units[a] !== root.units[a]) ?? 'BTC';
    throw proofInvalid('sum-mismatch', `the path sums to a different ${asset} total than the root states`, {
      asset,
      computed: formatBalances(node.units)[asset],
      stated: root.balances[asset],
    });
  }
  if (node.hash !== root.hash) {
    throw proofInvalid('root-mismatch', 'the path hashes to a different root', {
      computed: node.hash,
      stated: root.hash,
    });
  }

  return {
    valid: true,
    auditId: self.auditId ?? path.find((e) => e.auditId !== undefined)?.auditId ?? null,
    userHash,
    userBalances: self.balances,
    root: { height: node.height, hash: node.hash, balances: root.balances },
    levels: node.height,
    path: recomputed,
  };
}
