if (process.argv[1]?.endsWith('apps/cli/dist/bin.js')) {
  const { KnownTokens } = await import('./packages/risk/dist/known-tokens.js');
  KnownTokens.loadDefault = () => new KnownTokens([]);
}
