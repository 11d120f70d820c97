/**
 * Verifier for OKX's second liabilities format (from March 2023): a `user_info_file.json` naming
 * the user's hash, nonce, total balances and leaves, checked against the published
 * `full-liabilities-merkle-tree.txt` that lists every node of the tree as `hash,height,{balances}`.
 * OKX's own tool only looks for the user's leaves among the height-1 lines and adds up all leaves;
 * it never recomputes a parent, so nothing above the leaves, the root included, is checked. Because
 * the whole tree is published, we can do better and do: every parent is rebuilt from its two
 * children (hash and sums), the padding is rebuilt too, so the file must be exactly the tree its
 * leaves define, and no leaf may be negative. Layout, as OKX writes it: root first, then one height
 * at a time down to the leaves, each level listed right to left; a level with an odd number of
 * nodes is padded on the right with a zero-balance node carrying the last node's hash.
 */
import {
  addUnits,
  balancesJson,
  equalUnits,
  expectHash,
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
  ZERO_UNITS,
} from './common.js';

/** One line of the tree file. */
export interface Okx2023TreeNode {
  /** 1-based line number in the tree file. */
  readonly line: number;
  readonly height: number;
  readonly hash: string;
  readonly balances: OkxBalances;
}

export interface Okx2023Tree {
  /** The first line: the node of the greatest height. */
  readonly root: Okx2023TreeNode;
  /** The root's height; leaves are height 1. */
  readonly height: number;
  /** `levels[h - 1]` holds the nodes of height h, left to right (the file lists them right to left). */
  readonly levels: readonly (readonly Okx2023TreeNode[])[];
  readonly lineCount: number;
}

/** One of the user's leaves, as found in the tree. */
export interface Okx2023UserLeaf {
  readonly hash: string;
  readonly balances: OkxBalances;
  /** Line of the tree file holding this leaf. */
  readonly line: number;
}

export interface Okx2023Result {
  readonly valid: true;
  /** sha256(nonce ‖ compact totalBalances JSON). */
  readonly userHash: string;
  readonly userBalances: OkxBalances;
  readonly userLeaves: readonly Okx2023UserLeaf[];
  /** The rebuilt root, equal to the first line of the tree file. */
  readonly root: Okx2023TreeNode;
  /** Height of the tree (the root's height). */
  readonly levels: number;
  /** Lines at height 1, padding included. */
  readonly leafCount: number;
  readonly nodeCount: number;
}

interface Node extends Okx2023TreeNode {
  readonly units: OkxUnits;
}

interface ParsedTree {
  readonly root: Node;
  readonly height: number;
  readonly levels: readonly (readonly Node[])[];
  readonly lineCount: number;
}

/** Tree heights beyond this would mean more than 2^63 leaves; such a file is not real. */
const MAX_HEIGHT = 64;

const LINE_RE = /^([^,]*),([^,]*),(.*)$/;
const HASH_RE = /^[0-9a-f]{64}$/;
const HEIGHT_RE = /^[1-9][0-9]*$/;
const BALANCES_RE = /^\{"BTC":"([^"]*)","ETH":"([^"]*)","USDT":"([^"]*)"\}$/;

function lineError(line: number, message: string, cause?: unknown): never {
  throw invalidInput('malformed', `tree line ${line}: ${message}`, { line }, cause);
}

function parseLine(text: string, line: number): Node {
  const fields = LINE_RE.exec(text);
  if (fields === null) lineError(line, 'expected hash,height,{"BTC":"…","ETH":"…","USDT":"…"}');
  const [, hash = '', heightText = '', balancesText = ''] = fields;
  if (!HASH_RE.test(hash)) lineError(line, 'the hash must be 64 lower-case hex digits');
  if (!HEIGHT_RE.test(heightText) || Number(heightText) > MAX_HEIGHT) {
    lineError(line, `the height must be an integer 1..${MAX_HEIGHT}`);
  }
  const amounts = BALANCES_RE.exec(balancesText);
  if (amounts === null) lineError(line, 'the balances must be compact JSON {"BTC":"…","ETH":"…","USDT":"…"}');
  let parsed: { balances: OkxBalances; units: OkxUnits };
  try {
    parsed = parseBalances({ BTC: amounts[1], ETH: amounts[2], USDT: amounts[3] }, 'balances');
  } catch (error) {
    lineError(line, 'every balance must be a canonical decimal with at most 8 places', error);
  }
  return { line, height: Number(heightText), hash, ...parsed };
}

function parseTree(text: unknown): ParsedTree {
  if (typeof text !== 'string') {
    throw invalidInput('malformed', 'the tree file must be given as text', { field: 'tree' });
  }
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) throw invalidInput('malformed', 'the tree file is empty', { field: 'tree' });

  const byHeight: Node[][] = [];
  let previous: Node | undefined;
  lines.forEach((raw, i) => {
    const node = parseLine(raw.endsWith('\r') ? raw.slice(0, -1) : raw, i + 1);
    if (previous === undefined) {
      for (let h = 0; h < node.height; h++) byHeight.push([]);
    } else if (node.height > previous.height || node.height < previous.height - 1) {
      lineError(
        node.line,
        `height ${node.height} follows height ${previous.height}; the file must go from the root down one height at a time`,
      );
    } else if (node.height === byHeight.length) {
      lineError(node.line, 'a second node at the root height; the tree has one root');
    }
    (byHeight[node.height - 1] as Node[]).push(node);
    previous = node;
  });
  const last = previous as Node;
  if (last.height !== 1) lineError(last.line, `the file ends at height ${last.height}; it must end with the leaves`);

  const levels = byHeight.map((level) => level.reverse());
  const root = (levels[levels.length - 1] as Node[])[0] as Node;
  return { root, height: root.height, levels, lineCount: lines.length };
}

function publicNode(node: Node): Okx2023TreeNode {
  return { line: node.line, height: node.height, hash: node.hash, balances: node.balances };
}

/**
 * Parses OKX's full-liabilities tree file. Errors are `POR_INVALID_INPUT` naming the line
 * (`details.line`). Parsing checks the layout only; `verifyOkx2023` checks the hashes and sums.
 */
export function parseOkx2023Tree(text: string): Okx2023Tree {
  const tree = parseTree(text);
  return {
    root: publicNode(tree.root),
    height: tree.height,
    levels: tree.levels.map((level) => level.map(publicNode)),
    lineCount: tree.lineCount,
  };
}

/**
 * Rebuilds every level above the leaves from the level below and requires the file to hold
 * exactly that: the same number of nodes, the same sums and the same hashes, padding included.
 */
function rebuildTree(tree: ParsedTree): void {
  const leaves = tree.levels[0] ?? [];
  const hashCount = new Map<string, number>();
  for (const leaf of leaves) hashCount.set(leaf.hash, (hashCount.get(leaf.hash) ?? 0) + 1);
  const last = leaves[leaves.length - 1];
  const beforeLast = leaves[leaves.length - 2];
  const padded = last !== undefined && isZeroUnits(last.units) && beforeLast?.hash === last.hash;
  leaves.forEach((leaf, i) => {
    const asset = negativeAsset(leaf.units);
    if (asset !== undefined) {
      throw proofInvalid('negative-balance', `tree line ${leaf.line}: a leaf has a negative ${asset} balance`, {
        line: leaf.line,
        asset,
      });
    }
    // Above the leaves the rebuild places the padding itself; at the leaves it can only check that a
    // zero-balance duplicate is the padding: the last leaf, copying the leaf to its left.
    const isDuplicateZero = isZeroUnits(leaf.units) && (hashCount.get(leaf.hash) ?? 0) > 1;
    if (isDuplicateZero && !(padded && i >= leaves.length - 2)) {
      throw proofInvalid('padding', `tree line ${leaf.line}: a zero-balance copy of a leaf that is not the padding`, {
        line: leaf.line,
      });
    }
  });
  for (let height = 2; height <= tree.height; height++) {
    const children = tree.levels[height - 2] as readonly Node[];
    const stated = tree.levels[height - 1] as readonly Node[];
    // Levels are kept left to right; the file lists them right to left, so its first line is last here.
    const firstLine = (children[children.length - 1] as Node).line;
    if (children.length % 2 !== 0) {
      throw proofInvalid('tree-shape', `height ${height - 1} has an odd number of nodes (${children.length})`, {
        height: height - 1,
        line: firstLine,
      });
    }
    const computed: { hash: string; units: OkxUnits }[] = [];
    for (let i = 0; i < children.length; i += 2) {
      const left = children[i] as Node;
      const right = children[i + 1] as Node;
      const units = addUnits(left.units, right.units);
      computed.push({ hash: internalNodeHash(left.hash, right.hash, formatBalances(units), height), units });
    }
    if (computed.length % 2 !== 0 && height < tree.height) {
      computed.push({ hash: (computed[computed.length - 1] as { hash: string }).hash, units: ZERO_UNITS });
    }
    if (computed.length !== stated.length) {
      throw proofInvalid(
        'tree-shape',
        `height ${height} lists ${stated.length} nodes; its children define ${computed.length}`,
        { height, line: (stated[stated.length - 1] as Node).line },
      );
    }
    const isRoot = height === tree.height;
    computed.forEach((node, i) => {
      const file = stated[i] as Node;
      if (!equalUnits(node.units, file.units)) {
        const asset = OKX_ASSETS.find((a) => node.units[a] !== file.units[a]) ?? 'BTC';
        throw proofInvalid('sum-mismatch', `tree line ${file.line}: ${asset} is not the sum of the node's children`, {
          line: file.line,
          height,
          asset,
          computed: formatBalances(node.units)[asset],
          stated: file.balances[asset],
        });
      }
      if (node.hash !== file.hash) {
        throw proofInvalid(
          isRoot ? 'root-mismatch' : 'node-hash',
          `tree line ${file.line}: the hash is not sha256(left ‖ right ‖ sums ‖ height) of its children`,
          { line: file.line, height, computed: node.hash, stated: file.hash },
        );
      }
    });
  }
}

interface UserInfo {
  readonly hash: string;
  readonly nonce: string;
  readonly totalBalances: OkxBalances;
  readonly totalUnits: OkxUnits;
  readonly nodes: readonly { hash: string; balances: OkxBalances; units: OkxUnits }[];
}

function parseUserInfo(input: unknown): UserInfo {
  const object = expectObject(readJson(input, 'user info'), 'userInfo', ['hash', 'nodes', 'nonce', 'totalBalances']);
  const total = parseBalances(object.totalBalances, 'totalBalances');
  if (!Array.isArray(object.nodes) || object.nodes.length === 0) {
    throw invalidInput('malformed', '"nodes" expected a non-empty array of the user\'s leaves', { field: 'nodes' });
  }
  const nodes = object.nodes.map((value: unknown, i) => {
    const node = expectObject(value, `nodes[${i}]`, ['balances', 'hash']);
    return { hash: expectHash(node.hash, `nodes[${i}].hash`), ...parseBalances(node.balances, `nodes[${i}].balances`) };
  });
  return {
    hash: expectHash(object.hash, 'hash'),
    nonce: expectHash(object.nonce, 'nonce', 'a 64-digit hex nonce'),
    totalBalances: total.balances,
    totalUnits: total.units,
    nodes,
  };
}

function checkUserInfo(user: UserInfo): void {
  if (sha256Text(`${user.nonce}${balancesJson(user.totalBalances)}`) !== user.hash) {
    throw proofInvalid('user-hash', 'the user hash is not sha256(nonce ‖ totalBalances JSON)', { field: 'hash' });
  }
  let sum = ZERO_UNITS;
  user.nodes.forEach((node, i) => {
    const asset = negativeAsset(node.units);
    if (asset !== undefined) {
      throw proofInvalid('negative-balance', `"nodes[${i}].balances.${asset}" is negative`, {
        field: `nodes[${i}].balances.${asset}`,
      });
    }
    const b = node.balances;
    if (sha256Text(`${user.hash}${b.BTC}${b.ETH}${b.USDT}`) !== node.hash) {
      throw proofInvalid('leaf-hash', `"nodes[${i}].hash" is not sha256(user hash ‖ BTC ‖ ETH ‖ USDT)`, {
        field: `nodes[${i}].hash`,
      });
    }
    sum = addUnits(sum, node.units);
  });
  if (!equalUnits(sum, user.totalUnits)) {
    const asset = OKX_ASSETS.find((a) => sum[a] !== user.totalUnits[a]) ?? 'BTC';
    throw proofInvalid('user-total', `the user's leaves do not add up to totalBalances.${asset}`, {
      asset,
      computed: formatBalances(sum)[asset],
      stated: user.totalBalances[asset],
    });
  }
}

/** Finds each user leaf in its own tree line (a hash may legitimately occur twice: equal splits). */
function findUserLeaves(user: UserInfo, tree: ParsedTree): Okx2023UserLeaf[] {
  const byHash = new Map<string, Node[]>();
  for (const leaf of tree.levels[0] ?? []) {
    const list = byHash.get(leaf.hash);
    if (list === undefined) byHash.set(leaf.hash, [leaf]);
    else list.push(leaf);
  }
  const used = new Set<Node>();
  return user.nodes.map((node, i) => {
    const match = byHash.get(node.hash)?.find((leaf) => !used.has(leaf) && equalUnits(leaf.units, node.units));
    if (match === undefined) {
      throw proofInvalid('leaf-missing', `"nodes[${i}]" is not a leaf of the tree with these balances`, {
        field: `nodes[${i}]`,
        hash: node.hash,
      });
    }
    used.add(match);
    return { hash: match.hash, balances: match.balances, line: match.line };
  });
}

/**
 * Verifies an OKX March-2023 user-info file (text or parsed JSON) against the full liabilities
 * tree file. Throws `POR_INVALID_INPUT` for input that is not in the format and
 * `POR_PROOF_INVALID` (with `details.reason`) for data that does not verify.
 */
export function verifyOkx2023(userInfo: unknown, treeText: string): Okx2023Result {
  const user = parseUserInfo(userInfo);
  const tree = parseTree(treeText);
  checkUserInfo(user);
  rebuildTree(tree);
  const userLeaves = findUserLeaves(user, tree);
  return {
    valid: true,
    userHash: user.hash,
    userBalances: user.totalBalances,
    userLeaves,
    root: publicNode(tree.root),
    levels: tree.height,
    leafCount: tree.levels[0]?.length ?? 0,
    nodeCount: tree.lineCount,
  };
}
