/// <reference lib="dom" />
/**
 * The publication bundle's verifier page. It reads the round embedded in the page (the signed
 * root, the reserves table, the exchange's pinned key and, for a proven round, the zero-knowledge
 * statement), checks the root's signature against that key, shows the totals and reserve ratios,
 * and checks a user's proof file — read with the File API, verified by `@custos/por/verify`, the
 * CLI's own verifier. A proof never leaves the browser.
 *
 * `por-proof/v1`: checked against the signed root; the page makes no request at all (its Content
 * Security Policy has `connect-src 'none'` for a round without zero-knowledge files).
 *
 * `por-proof/v2`: the statement is checked (C and T_a recomputed, T_a equal to the signed root's
 * totals), the user's leaf and paths must lead to C, and the batch proofs are verified — the
 * user's own batch always, plus a random sample (crypto.getRandomValues) of others, or all. How
 * the public files are loaded: the statement is embedded in the page (a very large one is loaded
 * and checked against its embedded SHA-256). Batch files are too large to embed for a big round,
 * so the page loads the ones it checks: served over HTTP(S), it fetches them from its own `zk/`
 * directory — the bundle's policy allows `connect-src 'self'` and this script narrows it at start,
 * by a second policy, to that directory alone; opened from disk (where a page cannot read files
 * next to it) the policy is narrowed to `'none'` and the user picks the named files from the
 * bundle's `zk` folder. Requests are body-less GETs of public files, without credentials or
 * referrer, and carry nothing from the proof; the user's batch is fetched among the sampled ones,
 * all in random order, so a server sees one of N + 1 batches, not which one is the user's.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import {
  batchFileName,
  checkStatementForRoot,
  keyFingerprint,
  type RootFile,
  type VerifiedRoot,
  verifyBatch,
  verifyInclusionProof,
  verifyRoot,
  verifyZkInclusion,
  type ZkBatchFile,
  type ZkInclusionProof,
  type ZkStatement,
} from '../browser.js';

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

interface EmbeddedZk {
  statement: ZkStatement | null;
  statementSha256: string;
  statementBytes: number;
  batches: number;
  sample: number;
  minSecurityBits: number;
}

interface EmbeddedRound {
  root: unknown;
  reserves: ReservesTable | null;
  publicKey: string;
  keySource: 'exchange' | 'root';
  zk: EmbeddedZk | null;
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

/** A page-level refusal with a named reason, read by `reasonOf` like the verifier's errors. */
class Refusal extends Error {
  readonly details: { reason: string };
  constructor(reason: string, message: string) {
    super(message);
    this.details = { reason };
  }
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

/** The final verdict on a proof file: `#result` holds it and is marked done. */
function showResult(kind: 'ok' | 'bad', title: string, lines: string[]): void {
  const result = byId('result');
  result.replaceChildren(element('p', title, kind));
  if (lines.length > 0) {
    const list = element('ul');
    for (const line of lines) list.append(element('li', line));
    result.append(list);
  }
  result.dataset.state = 'done';
}

/** Progress while a check runs (a zero-knowledge check loads and verifies batch proofs). */
function showPending(text: string): void {
  const result = byId('result');
  result.replaceChildren(element('div', text, 'muted'));
  result.dataset.state = 'pending';
}

/** Each proof file checked starts a run; a newer run makes the older one stop where it is. */
let currentRun = 0;

function checkV1(proof: unknown, verified: VerifiedRoot): void {
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

// --- The zero-knowledge round -------------------------------------------------------------------

const pad = (index: number): string => String(index).padStart(6, '0');
/** Public files by their path under the bundle's `zk/` directory. */
const batchPaths = (index: number): [string, string] => [
  `batches/${batchFileName(index, 'json')}`,
  `batches/${batchFileName(index, 'stark')}`,
];
const baseName = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

/** A uniform integer in [0, n) from the platform's CSPRNG (rejection sampling, no modulo bias). */
function randomBelow(n: number): number {
  const limit = Math.floor(0x1_0000_0000 / n) * n;
  const word = new Uint32Array(1);
  for (;;) {
    crypto.getRandomValues(word);
    const v = word[0] as number;
    if (v < limit) return v % n;
  }
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomBelow(i + 1);
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

/** The user's batch and `sample` others chosen uniformly at random, all in random order. */
function chooseBatches(own: number, total: number, sample: number | 'all'): number[] {
  const others = Array.from({ length: total }, (_, i) => i).filter((i) => i !== own);
  const k = sample === 'all' ? others.length : Math.min(sample, others.length);
  for (let i = 0; i < k; i++) {
    const j = i + randomBelow(others.length - i);
    [others[i], others[j]] = [others[j] as number, others[i] as number];
  }
  return shuffle([own, ...others.slice(0, k)]);
}

class Stale extends Error {}

/**
 * The round's public zero-knowledge files: fetched from the page's own `zk/` directory when it is
 * served over HTTP(S), otherwise (opened from disk, or the server failed to answer) picked by the
 * user. Picked files are kept by name for later checks.
 */
class PublicFiles {
  private fetching: boolean;
  private readonly picked = new Map<string, File>();
  private waiters: (() => void)[] = [];
  private readonly box = byId('zk-files');
  private readonly note = byId('zk-files-note');

  constructor(served: boolean) {
    this.fetching = served;
    const input = byId<HTMLInputElement>('zk-batch-files');
    input.addEventListener('change', () => this.add(input.files));
    this.box.addEventListener('dragover', (event) => {
      event.preventDefault();
      this.box.classList.add('over');
    });
    this.box.addEventListener('dragleave', () => this.box.classList.remove('over'));
    this.box.addEventListener('drop', (event) => {
      event.preventDefault();
      this.box.classList.remove('over');
      this.add(event.dataTransfer?.files ?? null);
    });
  }

  private add(files: FileList | null): void {
    for (const file of files ?? []) this.picked.set(file.name, file);
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** A newer run started: an older one waiting for picked files stops, and the request is hidden. */
  cancel(): void {
    this.box.hidden = true;
    this.add(null);
  }

  /**
   * Starts loading `paths`, in that order, at most `window` requests ahead of the reader; answers
   * the reader, which asks for the files in the same order.
   */
  load(paths: readonly string[], run: number, window = 6): (path: string) => Promise<Uint8Array> {
    const started = new Map<string, Promise<Uint8Array>>();
    const done = new Set<string>();
    let next = 0;
    const startMore = () => {
      while (this.fetching && next < paths.length && started.size - done.size < window) {
        const path = paths[next++] as string;
        const request = fetchPublic(path);
        request.catch(() => undefined); // read (and reported) by the reader, if it gets there
        started.set(path, request);
      }
    };
    startMore();
    return async (path: string): Promise<Uint8Array> => {
      const pending = started.get(path);
      if (pending !== undefined && this.fetching) {
        try {
          const bytes = await pending;
          done.add(path);
          startMore();
          return bytes;
        } catch (error) {
          // The server did not give the file (offline, not found, or refused): ask the user for it.
          this.fetching = false;
          this.note.dataset.cause = error instanceof Error ? error.message : String(error);
        }
      }
      await this.pick(paths.slice(Math.max(0, paths.indexOf(path))), run);
      const file = this.picked.get(baseName(path)) as File;
      done.add(path);
      return new Uint8Array(await file.arrayBuffer());
    };
  }

  /** Waits until every path in `paths` has a picked file of its name. */
  private async pick(paths: readonly string[], run: number): Promise<void> {
    for (;;) {
      if (run !== currentRun) throw new Stale();
      const missing = paths.filter((p) => !this.picked.has(baseName(p)));
      if (missing.length === 0) {
        this.box.hidden = true;
        return;
      }
      const shown = [...missing]
        .sort()
        .slice(0, 12)
        .map((p) => `zk/${p}`);
      const more = missing.length > shown.length ? ` and ${missing.length - shown.length} more` : '';
      const cause = this.note.dataset.cause;
      this.note.textContent = `${
        location.protocol === 'file:'
          ? 'Opened from disk, this page cannot read the files next to it.'
          : `The server did not give the round’s files${cause === undefined ? '' : ` (${cause})`}.`
      } Choose these files from the bundle’s zk folder (selecting all its files is fine): ${shown.join(', ')}${more}.`;
      this.box.hidden = false;
      showPending(`Waiting for ${missing.length} file${missing.length === 1 ? '' : 's'} from the bundle’s zk folder…`);
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }
}

/** A body-less GET of a public file in the bundle's `zk/` directory: no cookies, no referrer. */
async function fetchPublic(path: string): Promise<Uint8Array> {
  const response = await fetch(new URL(`zk/${path}`, location.href), {
    method: 'GET',
    credentials: 'omit',
    referrerPolicy: 'no-referrer',
    mode: 'same-origin',
  });
  if (!response.ok) throw new Error(`zk/${path}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

/**
 * Narrows the page's connections before any is made: to its own `zk/` directory when served over
 * HTTP(S), to none otherwise. A second policy can only restrict the first (`connect-src 'self'`).
 */
function narrowConnections(served: boolean): boolean {
  const base = new URL('zk/', location.href);
  base.search = '';
  base.hash = '';
  const usable = served && !/[\s;,']/.test(base.href);
  const meta = document.createElement('meta');
  meta.httpEquiv = 'Content-Security-Policy';
  meta.content = usable ? `connect-src ${base.href}` : "connect-src 'none'";
  document.head.append(meta);
  return usable;
}

type StatementCheck = { ok: true; statement: ZkStatement } | { ok: false; reason: string; message: string };

const nextFrame = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

class ZkRound {
  private checked: StatementCheck | null = null;
  private readonly files: PublicFiles;
  private readonly sampleSelect = byId<HTMLSelectElement>('zk-sample');
  private readonly list = byId<HTMLOListElement>('zk-batches');

  constructor(
    private readonly zk: EmbeddedZk,
    private readonly root: RootFile,
    served: boolean,
  ) {
    this.files = new PublicFiles(served);
  }

  /** Shows the statement's check at load when it is embedded. */
  start(): void {
    const facts = byId('zk-facts');
    fact(facts, 'Batches', `${this.zk.batches.toLocaleString('en')}`);
    fact(facts, 'Batch proofs accepted from', `${this.zk.minSecurityBits} bits of conjectured security`);
    if (this.zk.statement === null) {
      byId('zk-status').textContent =
        'The zero-knowledge statement is loaded and checked when you choose a por-proof/v2 file.';
      return;
    }
    this.showStatement(this.check(this.zk.statement));
  }

  private check(statement: ZkStatement): StatementCheck {
    try {
      checkStatementForRoot(statement, this.root);
      this.checked = { ok: true, statement };
    } catch (error) {
      this.checked = { ok: false, ...reasonOf(error) };
    }
    return this.checked;
  }

  private showStatement(check: StatementCheck): void {
    const status = byId('zk-status');
    if (!check.ok) {
      status.textContent = `The zero-knowledge statement is refused (reason: ${check.reason}): ${check.message}`;
      status.className = 'bad';
      return;
    }
    const s = check.statement;
    status.textContent = `The statement checks: C is recomputed from its ${s.batches.length} batches, and their totals equal the signed root’s.`;
    status.className = 'ok';
    const facts = byId('zk-facts');
    fact(facts, 'Users', s.users.toLocaleString('en'));
    fact(facts, 'Batch capacity', s.capacity.toLocaleString('en'));
    fact(facts, 'Commitment C', s.commitment);
  }

  private async statement(run: number): Promise<StatementCheck> {
    if (this.checked !== null) return this.checked;
    showPending('Loading the zero-knowledge statement…');
    const bytes = await this.files.load(['statement.json'], run)('statement.json');
    let check: StatementCheck;
    if (bytes.length !== this.zk.statementBytes || bytesToHex(sha256(bytes)) !== this.zk.statementSha256) {
      check = { ok: false, reason: 'statement-hash', message: 'zk/statement.json is not the one this page publishes' };
    } else {
      try {
        check = this.check(JSON.parse(new TextDecoder().decode(bytes)) as ZkStatement);
      } catch (error) {
        check = { ok: false, ...reasonOf(error) };
      }
    }
    if (check.ok || check.reason !== 'statement-hash') this.checked = check;
    this.showStatement(check);
    return check;
  }

  private sample(): number | 'all' {
    const value = this.sampleSelect.value;
    return value === 'all' ? 'all' : Math.max(0, Number.parseInt(value, 10) || 0);
  }

  /** A new proof file was chosen: whatever the previous check was doing stops. */
  cancel(): void {
    this.files.cancel();
    this.list.replaceChildren();
  }

  async verify(proof: ZkInclusionProof, run: number): Promise<void> {
    const check = await this.statement(run);
    if (run !== currentRun) return;
    if (!check.ok) {
      showResult('bad', `Not valid (reason: ${check.reason}).`, [
        `The round’s zero-knowledge statement is refused: ${check.message}`,
      ]);
      return;
    }
    const statement = check.statement;
    let inclusion: ReturnType<typeof verifyZkInclusion>;
    try {
      inclusion = verifyZkInclusion(proof, statement);
    } catch (error) {
      const { reason, message } = reasonOf(error);
      showResult('bad', `Not valid (reason: ${reason}).`, [message]);
      return;
    }
    const own = proof.batch;
    const order = chooseBatches(own, statement.batches.length, this.sample());
    const get = this.files.load(order.flatMap(batchPaths), run);
    const results: { index: number; ok: boolean; reason?: string; message?: string; bits?: [number, number] }[] = [];
    for (const [n, index] of order.entries()) {
      const label = `batch ${pad(index)}${index === own ? ' (yours)' : ''}`;
      showPending(`Verifying ${label}: ${n + 1} of ${order.length} batch proofs…`);
      await nextFrame();
      const [jsonPath, starkPath] = batchPaths(index);
      let json: Uint8Array;
      let stark: Uint8Array;
      try {
        json = await get(jsonPath);
        stark = await get(starkPath);
      } catch (error) {
        if (error instanceof Stale || run !== currentRun) return;
        throw error;
      }
      if (run !== currentRun) return;
      showPending(`Verifying ${label}: ${n + 1} of ${order.length} batch proofs…`);
      await nextFrame();
      if (run !== currentRun) return;
      const item = element('li');
      item.dataset.batch = String(index);
      try {
        let file: ZkBatchFile;
        try {
          file = JSON.parse(new TextDecoder().decode(json)) as ZkBatchFile;
        } catch {
          throw new Refusal('malformed', `zk/${jsonPath} is not JSON`);
        }
        const result = verifyBatch(
          statement,
          statement.batches[index] as ZkStatement['batches'][number],
          file,
          stark,
          this.zk.minSecurityBits,
        );
        const bits: [number, number] = [result.securityBits?.conjectured ?? 0, result.securityBits?.proven ?? 0];
        results.push({ index, ok: true, bits });
        item.textContent = `${label[0]?.toUpperCase()}${label.slice(1)}: valid, ${bits[0]} bits conjectured, ${bits[1]} bits proven.`;
        item.className = 'ok';
      } catch (error) {
        const { reason, message } = reasonOf(error);
        results.push({ index, ok: false, reason, message });
        item.textContent = `${label[0]?.toUpperCase()}${label.slice(1)}: refused (reason: ${reason}): ${message}`;
        item.className = 'bad';
      }
      this.list.append(item);
    }
    const refused = results.filter((r) => !r.ok);
    const others = order.length - 1;
    const checkedLine = `Batch proofs checked: ${order.length} — yours (batch ${pad(own)}) and ${others} of the other ${
      statement.batches.length - 1
    } chosen at random.`;
    if (refused.length > 0) {
      const first = refused.find((r) => r.index === own) ?? (refused[0] as (typeof refused)[number]);
      showResult('bad', `Not valid (reason: ${first.reason}).`, [
        `Your leaf is under the round’s commitment C, but ${refused.length} batch proof${
          refused.length === 1 ? ' is' : 's are'
        } refused: the round’s liabilities are not proven.`,
        ...refused.map((r) => `Batch ${pad(r.index)}${r.index === own ? ' (yours)' : ''}: ${r.message}`),
        checkedLine,
      ]);
      return;
    }
    const conjectured = Math.min(...results.map((r) => r.bits?.[0] ?? 0));
    const proven = Math.min(...results.map((r) => r.bits?.[1] ?? 0));
    showResult('ok', `Valid: your balances are counted in round ${inclusion.roundId} (zero-knowledge proof).`, [
      ...inclusion.balances.map((b) => `${b.symbol}: ${b.balance}`),
      checkedLine,
      `Security: ${conjectured} bits conjectured, ${proven} bits proven (the weakest batch checked).`,
    ]);
    const result = byId('result');
    result.dataset.conjectured = String(conjectured);
    result.dataset.proven = String(proven);
  }
}

async function checkFile(file: File, verified: VerifiedRoot, zk: ZkRound | null): Promise<void> {
  const run = ++currentRun;
  zk?.cancel();
  let proof: unknown;
  try {
    proof = JSON.parse(await file.text());
  } catch {
    if (run === currentRun) showResult('bad', 'Not valid: the file is not JSON (reason: malformed).', []);
    return;
  }
  if (run !== currentRun) return;
  const version = (proof as { version?: unknown } | null)?.version;
  if (version === 'por-proof/v2') {
    if (zk === null) {
      showResult('bad', 'Not valid (reason: version).', [
        'This is a zero-knowledge proof (por-proof/v2), but this round was published without zero-knowledge files.',
      ]);
      return;
    }
    try {
      await zk.verify(proof as ZkInclusionProof, run);
    } catch (error) {
      if (run !== currentRun) return;
      const { reason, message } = reasonOf(error);
      showResult('bad', `Not valid (reason: ${reason}).`, [message]);
    }
    return;
  }
  checkV1(proof, verified);
}

async function main(): Promise<void> {
  const embedded = JSON.parse(byId('custos-round').textContent ?? 'null') as EmbeddedRound;
  const served = embedded.zk !== null && narrowConnections(/^https?:$/.test(location.protocol));
  const status = byId('root-status');
  let verified: VerifiedRoot;
  try {
    verified = verifyRoot(embedded.root, { publicKey: embedded.publicKey });
  } catch (error) {
    const { reason, message } = reasonOf(error);
    status.textContent = `The root does not verify (reason: ${reason}): ${message}. Do not rely on this page.`;
    status.className = 'bad';
    byId<HTMLInputElement>('proof-file').disabled = true;
    if (embedded.zk !== null) byId('zk-status').textContent = 'Not checked: the signed root does not verify.';
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

  let zk: ZkRound | null = null;
  if (embedded.zk !== null) {
    zk = new ZkRound(embedded.zk, root, served);
    zk.start();
  }
  const input = byId<HTMLInputElement>('proof-file');
  input.addEventListener('change', () => {
    const file = input.files?.[0];
    // Cleared, so that choosing the same file again checks it again.
    input.value = '';
    if (file !== undefined) void checkFile(file, verified, zk);
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
    if (file !== undefined) void checkFile(file, verified, zk);
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
