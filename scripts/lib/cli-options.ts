/**
 * A script's numeric `--name value` option (npm run chaos, npm run bench): the fallback when absent; a value that is
 * not a non-negative number ends the script with exit code 64 (usage error).
 */
export function numericOption(name: string, fallback: number, argv: readonly string[] = process.argv): number {
  const at = argv.indexOf(`--${name}`);
  if (at === -1) return fallback;
  const value = Number(argv[at + 1]);
  if (!Number.isFinite(value) || value < 0) {
    process.stderr.write(`--${name} needs a number\n`);
    process.exit(64);
  }
  return value;
}
