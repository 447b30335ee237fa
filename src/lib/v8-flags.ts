// V8 flags amps sets while it runs (the WebAssembly tier for undici's parser, the memory mode of a
// long follow). One home for them, because the compile cache (lib/compile-cache.ts) must know: V8
// stamps cached code with a hash of the flags and refuses it under other flags, so the cache keys
// its entries by the flags in force and takes a bundle's bytes before they change. The record lives
// on globalThis because the entry (dist/boot.cjs) and the program (dist/cli.cjs) are separate
// bundles, each with its own copy of this module.

interface FlagRecord {
  set: Set<string>;
  listeners: Array<() => void>;
}

const REGISTRY = Symbol.for('amps.v8-flags');

function record(): FlagRecord {
  const holder = globalThis as { [REGISTRY]?: FlagRecord };
  return (holder[REGISTRY] ??= { set: new Set(), listeners: [] });
}

/**
 * Sets a boolean V8 flag (`--liftoff-only`) for the rest of the process, once. node:v8 is loaded
 * here, not at start-up: it brings the streams with it (~1.5 ms).
 */
export async function setV8Flag(flag: `--${string}`): Promise<void> {
  const { set, listeners } = record();
  if (set.has(flag)) return;
  const { setFlagsFromString } = await import('node:v8');
  if (set.has(flag)) return;
  for (const listener of listeners) listener();
  setFlagsFromString(flag);
  set.add(flag);
}

/** The flags set so far, in a stable order. */
export function activeV8Flags(): string[] {
  return [...record().set].sort();
}

/** Calls `listener` just before each flag change. */
export function beforeV8FlagChange(listener: () => void): void {
  record().listeners.push(listener);
}
