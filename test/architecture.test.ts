import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { commandNameIn, globalOptions } from '../src/cli.js';

// The shape of the code, held by a test: imports point one way (docs/architecture.md draws it),
// only the entry point touches the process, and the lazy loader knows every global option.

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

/** Lower ranks never import higher ones; a folder may import its own rank only where the map says so. */
const RANK: Record<string, number> = {
  contract: 0, lib: 0,
  errors: 1,
  domain: 2,
  api: 3, sandbox: 3, output: 3,
  config: 4, session: 4, batch: 4, conflict: 4, completion: 4,
  commands: 5,
  'cli.ts': 6,
  // The process entry: loads dist/cli.cjs by path (through the compile cache), never imports it.
  'boot.ts': 7,
};

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [path] : [];
  });
}

const files = sources(SRC).map((path) => ({ path, rel: relative(SRC, path), text: readFileSync(path, 'utf8') }));
const folderOf = (rel: string) => rel.split('/')[0];

function imports(file: { rel: string; text: string }): string[] {
  return [...file.text.matchAll(/from '(\.[^']+)'|import\('(\.[^']+)'\)/g)]
    .map((m) => normalize(join(dirname(file.rel), m[1] ?? m[2])))
    .filter((target) => !target.startsWith('..'));
}

describe('the import direction', () => {
  it('knows every top-level folder of src/', () => {
    expect(readdirSync(SRC).filter((name) => !(name in RANK))).toEqual([]);
  });

  it('never imports upward: contract, lib < errors < domain < api, sandbox, output < config, session, batch, conflict, completion < commands < cli.ts', () => {
    const upward = files.flatMap((file) =>
      imports(file)
        .filter((target) => RANK[folderOf(target)] > RANK[folderOf(file.rel)])
        .map((target) => `${file.rel} -> ${target}`),
    );
    expect(upward).toEqual([]);
  });

  it('has no cycle between folders of one rank', () => {
    const edges = new Set(files.flatMap((file) => imports(file).filter((t) => folderOf(t) !== folderOf(file.rel) && RANK[folderOf(t)] === RANK[folderOf(file.rel)]).map((t) => `${folderOf(file.rel)}>${folderOf(t)}`)));
    const cycles = [...edges].filter((edge) => edges.has(edge.split('>').reverse().join('>')));
    expect(cycles).toEqual([]);
  });

  it('errors imports contract and lib only; contract imports nothing of ours but itself', () => {
    const bad = files.filter((f) => ['errors', 'contract', 'lib'].includes(folderOf(f.rel))).flatMap((f) =>
      imports(f).filter((t) => !['contract', 'lib', folderOf(f.rel)].includes(folderOf(t)) || (folderOf(f.rel) !== 'errors' && folderOf(t) !== folderOf(f.rel) && folderOf(t) !== 'lib')).map((t) => `${f.rel} -> ${t}`),
    );
    expect(bad).toEqual([]);
  });
});

describe('the process is the entry point\'s', () => {
  it('only cli.ts (and boot.ts, which starts it) reads process.env, writes process.stdout or stderr, listens for signals or exits', () => {
    const touching = files.filter((f) => f.rel !== 'cli.ts' && f.rel !== 'boot.ts' && /process\.(env|stdout|stderr|stdin|exit|on\(|once\()/.test(f.text.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '')));
    expect(touching.map((f) => f.rel)).toEqual([]);
  });
});

describe('the lazy loader', () => {
  it('skips the value of every global option that takes one, so `--profile get push` still loads push', () => {
    const withValues = globalOptions().filter((o) => o.required || o.optional);
    expect(withValues.map((o) => o.long)).toEqual(['--profile', '--api-url', '--api-key-file', '--timeout']);
    for (const option of withValues) expect(commandNameIn([option.long!, 'get', 'push', 'battery']), option.long).toBe('push');
  });
});
