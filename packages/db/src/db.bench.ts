// Row writes and keyed reads through the one Database interface: embedded PGlite against a real
// PostgreSQL server (the baseline), each on a fresh database.
import { defineBench } from '@custos/core/bench';
import { openPGlite } from './pglite.js';
import { openPostgres } from './postgres.js';
import { acquireTestPostgres, createTestDatabase, type TestPostgres } from './testing/postgres.js';
import type { Database } from './types.js';

let server: TestPostgres | undefined;

interface State {
  db: Database;
  drop: () => Promise<void>;
  round: number;
}

async function open(kind: 'pglite' | 'postgres'): Promise<State> {
  if (kind === 'pglite') {
    const db = await openPGlite();
    return prepare(db, async () => {});
  }
  server ??= await acquireTestPostgres();
  const fresh = await createTestDatabase(server.url);
  return prepare(await openPostgres({ url: fresh.url }), fresh.drop);
}

async function prepare(db: Database, drop: () => Promise<void>): Promise<State> {
  await db.exec('CREATE TABLE bench_rows (id bigint PRIMARY KEY, owner bigint NOT NULL, amount numeric NOT NULL)');
  return { db, drop, round: 0 };
}

async function writeThenRead(state: State, size: number): Promise<void> {
  const base = state.round++ * size;
  await state.db.transaction(async (tx) => {
    for (let i = 0; i < size; i++) {
      await tx.query('INSERT INTO bench_rows (id, owner, amount) VALUES ($1, $2, $3)', [
        BigInt(base + i),
        BigInt(i % 97),
        `${i}.5`,
      ]);
    }
  });
  for (let i = 0; i < size; i++)
    await state.db.query('SELECT amount FROM bench_rows WHERE id = $1', [BigInt(base + i)]);
}

async function teardown(state: State): Promise<void> {
  await state.db.close();
  await state.drop();
}

export default defineBench({
  name: 'db',
  description: 'insert N rows in one transaction, then N primary-key reads',
  baseline: 'postgres',
  size: { full: 2_000, smoke: 20 },
  unit: 'row',
  cases: [
    { name: 'postgres', setup: () => open('postgres'), run: writeThenRead, teardown },
    {
      name: 'pglite',
      setup: () => open('pglite'),
      run: writeThenRead,
      teardown: async (state: State) => {
        await teardown(state);
        await server?.stop();
        server = undefined;
      },
    },
  ],
});
