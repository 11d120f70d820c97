/**
 * Verifiers for OKX's published liabilities formats, written from the format description rather
 * than ported: the November 2022 Merkle path file and the March 2023 user-info file with the full
 * liabilities tree. They follow OKX's formats byte for byte so that the files OKX users hold can be
 * checked as they are, weaknesses of the formats included; the package docs say which ones.
 */
export type { OkxBalances } from './common.js';
export { type Okx2022Node, type Okx2022Result, verifyOkx2022Proof } from './v2022.js';
export {
  type Okx2023Result,
  type Okx2023Tree,
  type Okx2023TreeNode,
  type Okx2023UserLeaf,
  parseOkx2023Tree,
  verifyOkx2023,
} from './v2023.js';
