/** `--name value` and `--flag` options after the scenario name; values keep their defaults' types. */
export function parseOptions<T extends Record<string, string | number | boolean>>(argv: string[], defaults: T): T {
  const options: Record<string, string | number | boolean> = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new Error(`unexpected argument ${arg}`);
    const name = arg.slice(2);
    if (!(name in defaults)) throw new Error(`unknown option --${name}; known: ${Object.keys(defaults).map((key) => `--${key}`).join(' ')}`);
    const fallback = defaults[name];
    if (typeof fallback === 'boolean' && (argv[i + 1] === undefined || argv[i + 1]!.startsWith('--'))) {
      options[name] = true;
      continue;
    }
    const value = argv[++i];
    if (value === undefined) throw new Error(`--${name} needs a value`);
    if (typeof fallback === 'number') {
      const number = Number(value);
      if (!Number.isFinite(number)) throw new Error(`--${name} must be a number`);
      options[name] = number;
    } else if (typeof fallback === 'boolean') options[name] = value === 'true';
    else options[name] = value;
  }
  return options as T;
}

export const numberList = (value: string) => value.split(',').map((item) => {
  const number = Number(item);
  if (!Number.isFinite(number) || number <= 0) throw new Error(`not a positive number: ${item}`);
  return number;
});
