/**
 * Where the importer tests find their inputs: the shipped data and the not-shipped fixtures
 * inside the package (never the shared checkout the files were copied from), and the synthetic
 * inputs next to this file.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_DIR = fileURLToPath(new URL('../../../', import.meta.url));

/** Shipped source data: `data/sources/<dir>`. */
export function shipped(...parts: string[]): string {
  return join(PACKAGE_DIR, 'data', 'sources', ...parts);
}

/** Real files that must not ship (Etherscan scrapes): `fixtures/<dir>`. */
export function fixture(...parts: string[]): string {
  return join(PACKAGE_DIR, 'fixtures', ...parts);
}

/** Synthetic inputs: `src/testing/importers/inputs/<dir>`. */
export function synthetic(...parts: string[]): string {
  return join(fileURLToPath(new URL('./inputs/', import.meta.url)), ...parts);
}
