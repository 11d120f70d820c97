/** Test set-up shared by the exchange's tests: an in-memory database with the exchange's tables. */
import { coreMigrations, type Database, exchangeMigrations, openPGlite } from '@custos/db';

export async function openExchangeTestDb(): Promise<Database> {
  const db = await openPGlite();
  await db.migrate([...(await coreMigrations()), ...(await exchangeMigrations())]);
  return db;
}

/** Creates accounts named `<prefix>-1`, `<prefix>-2`, … (with an unusable password hash). */
export function accountFactory(db: () => Database, prefix: string): () => Promise<bigint> {
  let count = 0;
  return async () => {
    const result = await db().query<{ id: bigint }>(
      'INSERT INTO accounts (name, password_hash) VALUES ($1, $2) RETURNING id',
      [`${prefix}-${++count}`, 'x'],
    );
    return (result.rows[0] as { id: bigint }).id;
  };
}
