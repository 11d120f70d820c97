/**
 * Child process of the label scale benchmark: feeds n generated, sorted records straight into
 * the IndexBuilder (the one the store feeds), draws a progress bar on stderr, keeps a sample of
 * the stored addresses for hit look-ups, and prints one JSON line with the build's facts.
 * Usage: build-scale-index.ts <n> <index path> <sample path> <sample size>
 */
import { writeFileSync } from 'node:fs';
import { IndexBuilder } from '../index-file.js';
import { generatedLabel, generateSortedAddresses } from './generate.js';

const [n, path, samplePath, sampleSize] = [
  Number(process.argv[2]),
  process.argv[3] as string,
  process.argv[4] as string,
  Number(process.argv[5]),
];
const started = performance.now();
let lastDraw = 0;
const draw = (done: number): void => {
  const now = performance.now();
  if (now - lastDraw < 500 && done < n) return;
  lastDraw = now;
  const pct = Math.min(100, (done / n) * 100);
  const bar = '#'.repeat(Math.round(pct / 2.5)).padEnd(40, '.');
  const rate = done / ((now - started) / 1000);
  const eta = rate > 0 ? Math.round((n - done) / rate) : 0;
  process.stderr.write(`\r  build [${bar}] ${pct.toFixed(1)}% ${done.toLocaleString('en')} addresses, eta ${eta}s   `);
};
const builder = new IndexBuilder(path, {
  trust: { 'synthetic-kyt': 'curated' },
  description: `synthetic scale benchmark: ${n} addresses`,
  onProgress: draw,
});
// Systematic sample: every (n / sampleSize)-th address.
const stride = Math.max(1, Math.floor(n / sampleSize));
const sample = Buffer.alloc(Math.ceil(n / stride) * 20);
let sampled = 0;
let peakRss = 0;
const emitted = generateSortedAddresses(n, (address, i) => {
  builder.add(address, [generatedLabel(i)]);
  if (i % stride === 0) sample.set(address, 20 * sampled++);
  if ((i & 0xfffff) === 0) peakRss = Math.max(peakRss, process.memoryUsage.rss());
});
const generatedMs = performance.now() - started;
const stats = await builder.finish();
draw(n);
process.stderr.write('\n');
peakRss = Math.max(peakRss, process.memoryUsage.rss());
writeFileSync(samplePath, sample.subarray(0, sampled * 20));
process.stdout.write(
  `${JSON.stringify({ ...stats, emitted, buildMs: performance.now() - started, generateAndAddMs: generatedMs, buildPeakRssBytes: peakRss, sampled, stride })}\n`,
);
