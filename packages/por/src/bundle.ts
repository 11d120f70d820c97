/**
 * The static publication bundle of a round: what an exchange puts on its website for everyone.
 * It holds the signed root file, the reserves table and a verifier page — never a per-user proof,
 * a user id, a salt or the private build record — so it can be served from any static host or
 * opened from disk. The page embeds the root, the reserves and the exchange's pinned key, and runs
 * the same verifier as the CLI (`@custos/por/verify`, bundled with esbuild): a user picks their
 * proof file and it is checked in the browser; the file never leaves the page.
 *
 * Files: `index.html` (the page, its script inline and allowed by its hash in the page's Content
 * Security Policy, which also forbids every network connection), `root.json`, and
 * `reserves.json` when a reserves table is given. The page works from a web server or from disk.
 */
import { createHash } from 'node:crypto';
import {
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
}

/** The embedded document the page reads: `<script type="application/json" id="custos-round">`. */
export interface BundleDocument {
  root: RootFile;
  reserves: unknown;
  publicKey: string;
  /** `exchange`: the key was given as the exchange's; `root`: it is the root's own key. */
  keySource: 'exchange' | 'root';
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
  };
  const html = pageHtml(document, script, scriptHash);
  const files: [string, string][] = [
    ['index.html', html],
    ['root.json', `${JSON.stringify(root, null, 2)}\n`],
  ];
  if (options.reserves !== undefined) files.push(['reserves.json', `${JSON.stringify(options.reserves, null, 2)}\n`]);
  for (const [name, content] of files) writeFileSync(join(out, name), content, { mode: 0o644 });
  return {
    dir: out,
    files: files.map(([name]) => name).sort(),
    roundId: root.roundId,
    publicKey: signer.publicKey,
    fingerprint: keyFingerprint(signer.publicKey),
    pinned: signer.pinned,
    scriptHash,
  };
}

function pageHtml(document: BundleDocument, script: string, scriptHash: string): string {
  const title = `Proof of reserves — round ${escapeHtml(document.root.roundId)}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src '${scriptHash}'; style-src 'unsafe-inline'; img-src data:; connect-src 'none'; form-action 'none'; base-uri 'none'">
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
<section aria-labelledby="verify-heading">
<h2 id="verify-heading">Check that your balance is counted</h2>
<p>Download your proof file (<code>por-proof/v1</code>) from your account, then choose it here. It is checked in this page only: nothing is sent anywhere.</p>
<div id="drop" class="drop">
<label for="proof-file">Your proof file</label>
<input id="proof-file" type="file" accept=".json,application/json">
</div>
<div id="result" role="status" aria-live="polite"></div>
</section>
<footer class="muted"><p>Verified with the custos verifier: the leaf is recomputed from your salted id hash and balances, every node up to the signed root binds both children's hashes and per-asset sums, and no sum exceeds its bound.</p></footer>
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
#result{margin-top:1rem}.ok{color:var(--ok);font-weight:600}.bad{color:var(--bad);font-weight:600}.warn{color:var(--warn);font-weight:600}
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
@media (max-width:30rem){dl{grid-template-columns:1fr}dt{margin-top:.4rem}th,td{padding:.35rem .3rem;font-size:.9rem}}
`;
