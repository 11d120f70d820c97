/**
 * The static publication bundle of a round: what an exchange puts on its website for everyone.
 * It holds the signed root file, the reserves table, the zero-knowledge round's public files when
 * the round was proven, and a verifier page — never a per-user proof, a user id, a salt or the
 * private build record — so it can be served from any static host or opened from disk. The page
 * embeds the root, the reserves and the exchange's pinned key, and runs the same verifier as the
 * CLI (`@custos/por/verify`, bundled with esbuild): a user picks their proof file and it is checked
 * in the browser; the file never leaves the page.
 *
 * Files: `index.html` (the page, its script inline and allowed by its hash in the page's Content
 * Security Policy), `root.json`, `reserves.json` when a reserves table is given, and for a proven
 * zero-knowledge round `zk/statement.json` with every batch's `zk/batches/<index>.json` (public
 * leaves) and `zk/batches/<index>.stark` (its proof). The page works from a web server or from disk.
 *
 * Loading the zero-knowledge files. The statement (C, T_a, every batch's root and sums: about
 * 0.3 KB a batch) is embedded in the page when it is at most `statementEmbedLimit` bytes (1 MiB,
 * some 3,000 batches); a larger one is fetched, or picked by the user, and checked against the
 * SHA-256 the page embeds. Batch proofs (~100–150 KB each) are never embedded: the page loads only
 * the ones it checks. A round without zero-knowledge files keeps `connect-src 'none'`: the page
 * makes no request at all. With them the policy is `connect-src 'self'`, and the page's script
 * narrows it at start (a second policy, which can only restrict) to its own `zk/` directory when
 * served over HTTP(S), or to `'none'` when opened from disk — where the user picks the few files
 * the page names from the bundle's `zk/` folder instead. Every request is a body-less GET of a
 * public file, without credentials or referrer; the user's proof never leaves the page. What a
 * server can learn is which batch files were fetched: the user's own batch is fetched among a
 * random sample of others, all at once and in random order, so it is one of N + 1.
 */
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmdirSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BaseError } from '@custos/core';
import { keyFingerprint, parseRootFile, type RootFile, verifyRootSignature } from './root.js';
import { zkDir } from './zk/prove.js';
import type { ZkStatement } from './zk/round.js';
import { batchFileName, checkStatementForRoot } from './zk/round.js';

/** The largest statement (bytes of `zk/statement.json`) the page embeds: about 3,000 batches. */
export const STATEMENT_EMBED_LIMIT = 1 << 20;
/** Batches the page checks at random besides the user's own, unless the user picks another number. */
export const DEFAULT_ZK_SAMPLE = 4;

export interface PublicationBundleOptions {
  /** The built round directory (its `root.json` is published; nothing else in it is). */
  round: string;
  /** The output directory: created, or empty. */
  out: string;
  /** The reserves table (`custos por reserves --json`); its round must be the root's. */
  reserves?: unknown;
  /**
   * The exchange's key the page pins (hex). Without it the root's own key is pinned, and the
   * caller should say so: the page then proves only that the root was not altered after signing.
   */
  publicKey?: string;
  /**
   * For a proven zero-knowledge round: the largest `zk/statement.json` (bytes) embedded in the
   * page (default STATEMENT_EMBED_LIMIT); a larger one is loaded from the bundle and checked
   * against the SHA-256 the page embeds.
   */
  statementEmbedLimit?: number;
  /** Batches the page checks at random besides the user's (default DEFAULT_ZK_SAMPLE). */
  zkSample?: number;
  /** The least conjectured security (bits) the page accepts for a batch proof (default 100). */
  minSecurityBits?: number;
}

export interface PublicationBundleZk {
  batches: number;
  /** Hex digest C. */
  commitment: string;
  /** Whether the statement is embedded in the page (or loaded from `zk/statement.json`). */
  statementEmbedded: boolean;
}

export interface PublicationBundle {
  dir: string;
  files: string[];
  roundId: string;
  publicKey: string;
  fingerprint: string;
  /** Whether the key came from the caller (`true`) or from the root file itself. */
  pinned: boolean;
  /** `sha256-…` of the page's script, as its Content Security Policy allows it. */
  scriptHash: string;
  /** The zero-knowledge round's files, when the round was proven. */
  zk: PublicationBundleZk | null;
}

/** What the page knows of a zero-knowledge round before loading any of its files. */
export interface BundleZkDocument {
  /** The statement, when embedded; otherwise the page loads `zk/statement.json`. */
  statement: ZkStatement | null;
  /** Hex SHA-256 of `zk/statement.json` as published. */
  statementSha256: string;
  statementBytes: number;
  batches: number;
  sample: number;
  minSecurityBits: number;
}

/** The embedded document the page reads: `<script type="application/json" id="custos-round">`. */
export interface BundleDocument {
  root: RootFile;
  reserves: unknown;
  publicKey: string;
  /** `exchange`: the key was given as the exchange's; `root`: it is the root's own key. */
  keySource: 'exchange' | 'root';
  /** The zero-knowledge round, when the round was proven; null otherwise. */
  zk: BundleZkDocument | null;
}

function invalid(message: string, details: Record<string, string> = {}): BaseError {
  return new BaseError('POR_INVALID_INPUT', message, { details });
}

/** JSON safe to place inside a `<script>` element (no `</script>`, no HTML comment openers). */
function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The page's entry: the TypeScript source (shipped with the package), bundled by esbuild. */
function pageEntry(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const candidate of [join(here, 'page', 'app.ts'), join(here, '..', 'src', 'page', 'app.ts')]) {
    if (existsSync(candidate)) return candidate;
  }
  throw new BaseError('INTERNAL', 'the verifier page source (src/page/app.ts) is missing from @custos/por');
}

/** Bundles the verifier page's script: one self-contained, minified ES module. */
export async function bundleVerifierScript(): Promise<string> {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [pageEntry()],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    write: false,
    legalComments: 'none',
    logLevel: 'silent',
    // The @custos/source condition reads the workspace's TypeScript directly, as the tests do.
    conditions: ['@custos/source', 'browser', 'import', 'default'],
  });
  const file = result.outputFiles[0];
  if (file === undefined) throw new BaseError('INTERNAL', 'esbuild produced no verifier script');
  return file.text;
}

function reservesRoundId(reserves: unknown): string | undefined {
  if (reserves === null || typeof reserves !== 'object') throw invalid('the reserves table must be a JSON object');
  const table = (reserves as { table?: unknown }).table;
  if (!Array.isArray(table)) throw invalid('the reserves table has no "table" array (custos por reserves --json)');
  const roundId = (reserves as { roundId?: unknown }).roundId;
  return typeof roundId === 'string' ? roundId : undefined;
}

interface ZkFiles {
  statementText: Buffer;
  statement: ZkStatement;
  /** [source, bundle-relative name], the statement first. */
  copies: [string, string][];
}

/**
 * The round's zero-knowledge files, when it was proven: the statement (tied to the signed root:
 * same round and assets, C and T_a recomputed, T_a equal to the root's totals) and both files of
 * every batch it names. A round whose proving has not finished (no statement yet) has none.
 */
function readZkFiles(round: string, root: RootFile): ZkFiles | null {
  const dir = zkDir(round);
  const statementPath = join(dir, 'statement.json');
  if (!existsSync(statementPath)) return null;
  const statementText = readFileSync(statementPath);
  let statement: ZkStatement;
  try {
    statement = JSON.parse(statementText.toString('utf8')) as ZkStatement;
  } catch (cause) {
    throw new BaseError('POR_INVALID_INPUT', "the round's zk/statement.json is not JSON", { cause });
  }
  checkStatementForRoot(statement, root);
  const copies: [string, string][] = [[statementPath, 'zk/statement.json']];
  for (const info of statement.batches) {
    for (const ext of ['json', 'stark'] as const) {
      const name = batchFileName(info.index, ext);
      const source = join(dir, 'batches', name);
      if (!existsSync(source)) {
        throw invalid(`the round's zero-knowledge batch ${info.index} has no ${name}: finish proving the round`, {
          batch: String(info.index),
        });
      }
      copies.push([source, `zk/batches/${name}`]);
    }
  }
  return { statementText, statement, copies };
}

function isInside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

export async function writePublicationBundle(options: PublicationBundleOptions): Promise<PublicationBundle> {
  const round = resolve(options.round);
  const rootPath = join(round, 'root.json');
  let rootValue: unknown;
  try {
    rootValue = JSON.parse(readFileSync(rootPath, 'utf8'));
  } catch (cause) {
    throw new BaseError('POR_ROUND_NOT_FOUND', 'the round directory has no readable root.json', {
      details: { round: options.round },
      cause,
    });
  }
  const root = parseRootFile(rootValue);
  const signer = verifyRootSignature(root, options.publicKey);
  const zk = readZkFiles(round, root);
  const embedLimit = options.statementEmbedLimit ?? STATEMENT_EMBED_LIMIT;
  const sample = options.zkSample ?? DEFAULT_ZK_SAMPLE;
  const minSecurityBits = options.minSecurityBits ?? 100;
  if (!Number.isInteger(sample) || sample < 0) throw invalid('zkSample is a whole number of batches');
  if (!Number.isInteger(minSecurityBits) || minSecurityBits < 1 || minSecurityBits > 256)
    throw invalid('minSecurityBits is a whole number of bits (1–256)');
  if (options.reserves !== undefined) {
    const reservesRound = reservesRoundId(options.reserves);
    if (reservesRound !== undefined && reservesRound !== root.roundId) {
      throw invalid(`the reserves table is for round ${reservesRound}, the root for ${root.roundId}`, {
        reserves: reservesRound,
        root: root.roundId,
      });
    }
  }

  const out = resolve(options.out);
  if (existsSync(out)) {
    if (!statSync(out).isDirectory()) throw invalid(`${options.out} exists and is not a directory`);
    if (readdirSync(out).length > 0) throw invalid(`${options.out} is not empty: the bundle goes in a new directory`);
  }
  // The round directory holds the private build record and salts: the bundle must live elsewhere.
  const realRound = realpathSync(round);
  const insideRound = () =>
    invalid('the bundle cannot be inside the round directory (it holds the private build record)');
  if (isInside(out, round) || isInside(out, realRound)) throw insideRound();
  const created = !existsSync(out);
  mkdirSync(out, { recursive: true });
  if (isInside(realpathSync(out), realRound)) {
    if (created) rmdirSync(out);
    throw insideRound();
  }

  const script = await bundleVerifierScript();
  if (/<\/script/i.test(script)) throw new BaseError('INTERNAL', 'the bundled verifier contains "</script"');
  const scriptHash = `sha256-${createHash('sha256').update(script).digest('base64')}`;
  const document: BundleDocument = {
    root,
    reserves: options.reserves ?? null,
    publicKey: signer.publicKey,
    keySource: signer.pinned ? 'exchange' : 'root',
    zk:
      zk === null
        ? null
        : {
            statement: zk.statementText.length <= embedLimit ? zk.statement : null,
            statementSha256: createHash('sha256').update(zk.statementText).digest('hex'),
            statementBytes: zk.statementText.length,
            batches: zk.statement.batches.length,
            sample,
            minSecurityBits,
          },
  };
  const html = pageHtml(document, script, scriptHash);
  const files: [string, string][] = [
    ['index.html', html],
    ['root.json', `${JSON.stringify(root, null, 2)}\n`],
  ];
  if (options.reserves !== undefined) files.push(['reserves.json', `${JSON.stringify(options.reserves, null, 2)}\n`]);
  for (const [name, content] of files) writeFileSync(join(out, name), content, { mode: 0o644 });
  const names = files.map(([name]) => name);
  if (zk !== null) {
    mkdirSync(join(out, 'zk', 'batches'), { recursive: true });
    for (const [source, name] of zk.copies) {
      copyFileSync(source, join(out, name));
      names.push(name);
    }
  }
  return {
    dir: out,
    files: names.sort(),
    roundId: root.roundId,
    publicKey: signer.publicKey,
    fingerprint: keyFingerprint(signer.publicKey),
    pinned: signer.pinned,
    scriptHash,
    zk:
      zk === null
        ? null
        : {
            batches: zk.statement.batches.length,
            commitment: zk.statement.commitment,
            statementEmbedded: document.zk?.statement !== null,
          },
  };
}

/** The zero-knowledge part of the page: the statement's facts and the sample size. */
function zkSectionHtml(zk: BundleZkDocument): string {
  const sizes = [...new Set([0, 1, 2, 4, 8, 16, 32, zk.sample])].filter((n) => n < zk.batches).sort((a, b) => a - b);
  const options = [
    ...sizes.map((n) => `<option value="${n}"${n === zk.sample ? ' selected' : ''}>${n}</option>`),
    `<option value="all"${zk.sample >= zk.batches - 1 ? ' selected' : ''}>all ${zk.batches - 1}</option>`,
  ].join('');
  return `<section aria-labelledby="zk-heading">
<h2 id="zk-heading">Zero-knowledge round</h2>
<p>This round also proves its liabilities in zero knowledge. Users are split into batches; each batch publishes its users’ salted leaves and a STARK proof that every balance under them is between 0 and 2<sup>64</sup> units and that the batch’s sums are right. One commitment C ties the batches together, and their totals must equal the signed root’s. A <code>por-proof/v2</code> file shows that your leaf is under C; this page then checks your batch’s proof and a random sample of the others.</p>
<p id="zk-status" role="status">Checking the zero-knowledge statement…</p>
<dl id="zk-facts"></dl>
<p><label for="zk-sample">Other batch proofs to check, chosen at random:</label> <select id="zk-sample">${options}</select></p>
</section>
`;
}

function pageHtml(document: BundleDocument, script: string, scriptHash: string): string {
  const title = `Proof of reserves — round ${escapeHtml(document.root.roundId)}`;
  // Without zero-knowledge files the page needs no connection at all; with them, its script narrows
  // 'self' to the bundle's zk/ directory (or to none, opened from disk) before it loads anything.
  const connect = document.zk === null ? "'none'" : "'self'";
  const proofKinds =
    document.zk === null
      ? '<code>por-proof/v1</code>'
      : '<code>por-proof/v1</code>, or <code>por-proof/v2</code> for the zero-knowledge round';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src '${scriptHash}'; style-src 'unsafe-inline'; img-src data:; connect-src ${connect}; form-action 'none'; base-uri 'none'">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
<style>${PAGE_CSS}</style>
</head>
<body>
<main>
<header>
<h1>Proof of reserves</h1>
<p id="round" class="muted">Loading the round…</p>
</header>
<section aria-labelledby="root-heading">
<h2 id="root-heading">Signed root</h2>
<p id="root-status" role="status">Checking the root signature…</p>
<dl id="root-facts"></dl>
</section>
<section aria-labelledby="reserves-heading">
<h2 id="reserves-heading">Reserves and liabilities</h2>
<div class="table-wrap"><table id="reserves"><caption class="sr-only">Reserve ratio per asset</caption><thead><tr><th scope="col">Asset</th><th scope="col">Liabilities</th><th scope="col">Reserves</th><th scope="col">Ratio</th></tr></thead><tbody></tbody></table></div>
<p id="reserves-note" class="muted"></p>
</section>
${document.zk === null ? '' : zkSectionHtml(document.zk)}<section aria-labelledby="verify-heading">
<h2 id="verify-heading">Check that your balance is counted</h2>
<p>Download your proof file (${proofKinds}) from your account, then choose it here. It is checked in this page only: ${
    document.zk === null
      ? 'nothing is sent anywhere.'
      : 'your proof is sent nowhere (the page only loads the round’s public batch files).'
  }</p>
<div id="drop" class="drop">
<label for="proof-file">Your proof file</label>
<input id="proof-file" type="file" accept=".json,application/json">
</div>
<div id="result" role="status" aria-live="polite"></div>
${
  document.zk === null
    ? ''
    : `<div id="zk-files" class="drop" hidden>
<p id="zk-files-note"></p>
<label for="zk-batch-files">Files from the bundle’s <code>zk</code> folder</label>
<input id="zk-batch-files" type="file" multiple accept=".json,.stark">
</div>
<ol id="zk-batches" class="batches"></ol>
`
}</section>
<footer class="muted"><p>Verified with the custos verifier: the leaf is recomputed from your salted id hash and balances, every node up to the signed root binds both children's hashes and per-asset sums, and no sum exceeds its bound.${
    document.zk === null
      ? ''
      : ' For <code>por-proof/v2</code>: your leaf is recomputed from your salted id hash and balances, its Poseidon2 path leads to C, C and the totals are recomputed from the statement, and each checked batch proof is verified against its published leaves and sums.'
  }</p></footer>
</main>
<script type="application/json" id="custos-round">${scriptJson(document)}</script>
<script type="module">${script}</script>
</body>
</html>
`;
}

const PAGE_CSS = `
:root{color-scheme:light dark;--fg:#14171a;--bg:#fbfbfc;--muted:#4f5862;--line:#d5d9de;--ok:#0b6b2e;--bad:#a4121f;--warn:#8a4b00;--accent:#174ea6}
@media (prefers-color-scheme:dark){:root{--fg:#eef0f2;--bg:#121416;--muted:#aab2bb;--line:#2e3338;--ok:#6fd38f;--bad:#ff8a8f;--warn:#f0b35a;--accent:#8ab4f8}}
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:56rem;margin:0 auto;padding:1.25rem}h1{font-size:1.6rem;margin:.5rem 0}h2{font-size:1.2rem;margin:1.75rem 0 .5rem}
.muted{color:var(--muted)}code{font-family:ui-monospace,monospace;font-size:.9em;overflow-wrap:anywhere}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:0}dt{color:var(--muted)}dd{margin:0;overflow-wrap:anywhere;font-family:ui-monospace,monospace;font-size:.9rem}
.table-wrap{overflow-x:auto}table{border-collapse:collapse;width:100%}th,td{text-align:right;padding:.4rem .5rem;border-bottom:1px solid var(--line);white-space:nowrap}
th:first-child,td:first-child{text-align:left}.bar{display:block;height:.35rem;border-radius:.2rem;background:var(--accent);margin-top:.2rem;max-width:100%}
.drop{border:2px dashed var(--line);border-radius:.5rem;padding:1rem;display:flex;flex-wrap:wrap;gap:.75rem;align-items:center}.drop.over{border-color:var(--accent)}
input[type=file]{max-width:100%}input:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
#result{margin-top:1rem}.drop[hidden]{display:none}.batches{padding-left:1.25rem}.batches li{margin:.15rem 0}.ok{color:var(--ok);font-weight:600}.bad{color:var(--bad);font-weight:600}.warn{color:var(--warn);font-weight:600}
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
@media (max-width:30rem){dl{grid-template-columns:1fr}dt{margin-top:.4rem}th,td{padding:.35rem .3rem;font-size:.9rem}}
`;
