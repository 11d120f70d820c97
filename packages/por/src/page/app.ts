/// <reference lib="dom" />
/**
 * The publication bundle's verifier page. It reads the round embedded in the page (the signed
 * root, the reserves table and the exchange's pinned key), checks the root's signature against
 * that key, shows the totals and reserve ratios, and checks a user's proof file — read with the
 * File API, verified by `@custos/por/verify`, the CLI's own verifier. The page makes no network
 * request (its Content Security Policy forbids them): a proof never leaves the browser.
 */
import { keyFingerprint, type VerifiedRoot, verifyInclusionProof, verifyRoot } from '../browser.js';

interface ReservesTable {
  table?: {
    asset: string;
    liabilities: string | null;
    reserves: string | null;
    ratio: string | null;
    status: string;
  }[];
  message?: string | null;
  addresses?: { ownership?: { valid?: boolean } }[];
}

interface EmbeddedRound {
  root: unknown;
  reserves: ReservesTable | null;
  publicKey: string;
  keySource: 'exchange' | 'root';
}

const byId = <T extends HTMLElement>(id: string): T => {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`the page has no #${id}`);
  return element as T;
};

function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  text?: string,
  className?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className !== undefined) node.className = className;
  return node;
}

/** The verifier's named reason (`details.reason` of its typed error), or the message. */
function reasonOf(error: unknown): { reason: string; message: string } {
  const typed = error as { details?: { reason?: unknown }; shortMessage?: unknown };
  const reason = typeof typed.details?.reason === 'string' ? typed.details.reason : 'malformed';
  const message =
    typeof typed.shortMessage === 'string'
      ? typed.shortMessage
      : error instanceof Error
        ? error.message
        : String(error);
  return { reason, message };
}

function fact(list: HTMLElement, term: string, value: string): void {
  list.append(element('dt', term), element('dd', value));
}

function showReserves(embedded: EmbeddedRound, verified: VerifiedRoot): void {
  const body = byId<HTMLTableElement>('reserves').tBodies[0] as HTMLTableSectionElement;
  const note = byId('reserves-note');
  const rows = embedded.reserves?.table;
  if (rows === undefined || rows.length === 0) {
    for (const [i, asset] of verified.root.assets.entries()) {
      const tr = element('tr');
      tr.append(
        element('th', asset.symbol),
        element('td', verified.root.totals[i]),
        element('td', '—'),
        element('td', '—'),
      );
      (tr.firstChild as HTMLElement).setAttribute('scope', 'row');
      body.append(tr);
    }
    note.textContent = 'This round was published without a reserves table.';
    return;
  }
  for (const row of rows) {
    const tr = element('tr');
    const head = element('th', row.asset);
    head.setAttribute('scope', 'row');
    const ratio = element('td', row.ratio ?? row.status);
    const percent = row.ratio === null ? Number.NaN : Number.parseFloat(row.ratio);
    if (Number.isFinite(percent)) {
      const bar = element('span', undefined, 'bar');
      bar.style.width = `${Math.min(100, percent / 2)}%`;
      bar.setAttribute('aria-hidden', 'true');
      ratio.append(bar);
    }
    tr.append(head, element('td', row.liabilities ?? '—'), element('td', row.reserves ?? '—'), ratio);
    body.append(tr);
  }
  const addresses = embedded.reserves?.addresses ?? [];
  const owned = addresses.filter((a) => a.ownership?.valid === true).length;
  note.textContent = `Reserves counted from ${owned} of ${addresses.length} listed addresses whose owners signed ${
    embedded.reserves?.message ? `“${embedded.reserves.message}”` : 'a message'
  }; balances read at the snapshot.`;
}

function showResult(kind: 'ok' | 'bad', title: string, lines: string[]): void {
  const result = byId('result');
  result.replaceChildren(element('p', title, kind));
  if (lines.length > 0) {
    const list = element('ul');
    for (const line of lines) list.append(element('li', line));
    result.append(list);
  }
}

async function checkFile(file: File, verified: VerifiedRoot): Promise<void> {
  let proof: unknown;
  try {
    proof = JSON.parse(await file.text());
  } catch {
    showResult('bad', 'Not valid: the file is not JSON (reason: malformed).', []);
    return;
  }
  try {
    const inclusion = verifyInclusionProof(proof, verified);
    showResult(
      'ok',
      `Valid: your balances are counted in round ${inclusion.roundId}.`,
      inclusion.balances.map((b) => `${b.symbol}: ${b.balance}`),
    );
  } catch (error) {
    const { reason, message } = reasonOf(error);
    showResult('bad', `Not valid (reason: ${reason}).`, [message]);
  }
}

async function main(): Promise<void> {
  const embedded = JSON.parse(byId('custos-round').textContent ?? 'null') as EmbeddedRound;
  const status = byId('root-status');
  let verified: VerifiedRoot;
  try {
    verified = verifyRoot(embedded.root, { publicKey: embedded.publicKey });
  } catch (error) {
    const { reason, message } = reasonOf(error);
    status.textContent = `The root does not verify (reason: ${reason}): ${message}. Do not rely on this page.`;
    status.className = 'bad';
    byId<HTMLInputElement>('proof-file').disabled = true;
    return;
  }
  const root = verified.root;
  byId('round').textContent = `Round ${root.roundId}, snapshot ${root.snapshotTime}`;
  if (embedded.keySource === 'exchange') {
    status.textContent = 'The root is signed by the exchange’s key this page pins.';
    status.className = 'ok';
  } else {
    status.textContent =
      'The root’s signature verifies, but under its own key: compare the key fingerprint below with the one the exchange publishes elsewhere.';
    status.className = 'warn';
  }
  const facts = byId('root-facts');
  fact(facts, 'Tree height', `${root.height} levels (up to ${(2 ** root.height).toLocaleString('en')} leaves)`);
  fact(facts, 'Root hash', root.rootHash);
  fact(facts, 'Signing key', root.publicKey);
  fact(facts, 'Key fingerprint', keyFingerprint(root.publicKey));
  showReserves(embedded, verified);

  const input = byId<HTMLInputElement>('proof-file');
  input.addEventListener('change', () => {
    const file = input.files?.[0];
    if (file !== undefined) void checkFile(file, verified);
  });
  const drop = byId('drop');
  drop.addEventListener('dragover', (event) => {
    event.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (event) => {
    event.preventDefault();
    drop.classList.remove('over');
    const file = event.dataTransfer?.files[0];
    if (file !== undefined) void checkFile(file, verified);
  });
  document.body.dataset.ready = 'true';
}

main().catch((error: unknown) => {
  const status = document.getElementById('root-status');
  if (status !== null) {
    status.textContent = `The page could not start: ${error instanceof Error ? error.message : String(error)}`;
    status.className = 'bad';
  }
});
