// V8's code cache for amps' bundles, on every Node (Node 22's own `module.enableCompileCache()` takes
// its cache before a bundle runs, so it misses what a command compiles: boot.ts). A bundle is
// compiled through `vm.Script` with the bytes a previous run saved; V8 then skips parsing and
// compiling every function the cache holds. Most of amps' start-up is that work (bench/startup.mjs).
//
// A cache can only ever cost a recompile, never a wrong or broken run:
// - An entry's name carries a hash of everything its bytes depend on: the bundle's path, size and
//   modification time, a digest of the build's contents (size and time alone miss a rebuild of the
//   same size installed by npm, which dates every file 1985), Node's and V8's versions, the
//   platform, and the V8 flags in force when the bundle was compiled. A rebuilt bundle or an
//   upgraded Node looks for a name that does not exist;
//   the entry holds the full identity too, compared before use, in case two names collide.
// - Each entry carries a checksum of its bytes. V8 checks only a cache's header: a damaged body
//   stops the process with a fatal error (tried on Node 20), so a damaged entry is never handed to
//   V8; the run recompiles and rewrites it.
// - V8 may still refuse an entry (`cachedDataRejected`); that run recompiles and rewrites it.
// - Entries are written once the command is done (the user already has its output), to a temporary
//   name and then renamed, so concurrent runs never see half a file. A directory that cannot be
//   written is simply not used.
// - What V8 caches is the code a run compiled, so each command has its entries (`get`'s hold the
//   request path, `explain`'s the catalogue): a run deserialises only what its command uses.
//
// The checksum is lib/checksum.ts, a few lines of WebAssembly: zlib's CRC-32 would load node:zlib
// and the streams with it, which cost more than the cache saves on the shortest commands.

import { closeSync, constants, fstatSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { writeFileWhole } from './write-whole.js';
import type NodeModule from 'node:module';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';
import { checksum, checksumAvailable } from './checksum.js';
import { activeV8Flags, beforeV8FlagChange } from './v8-flags.js';
import { makeDirs } from './make-dirs.js';

/** ASCII: the same bytes as latin1 (written) and as UTF-8 (compared, read). */
const MAGIC = 'ampsV8c5';
/** Far more than any entry (the bundle of every command makes ~2 MB): a larger file is not one. */
const MAX_ENTRY_BYTES = 64 * 1024 * 1024;

/**
 * An entry's bytes. Whatever stands in its place must not hold the run: a FIFO (opened without
 * waiting for a writer), a device such as /dev/zero, a huge file are not entries, and read as none.
 */
function readEntry(entry: string): Buffer {
  const fd = openSync(entry, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const info = fstatSync(fd);
    if (!info.isFile() || info.size > MAX_ENTRY_BYTES) return Buffer.alloc(0);
    const data = Buffer.allocUnsafe(info.size);
    let got = 0;
    while (got < info.size) {
      const n = readSync(fd, data, got, info.size - got, null);
      if (n === 0) break;
      got += n;
    }
    return data.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

/** Whether `data` holds `bytes` from `at` on. */
function bytesAt(data: Uint8Array, at: number, bytes: Uint8Array): boolean {
  if (at + bytes.length > data.length) return false;
  for (let i = 0; i < bytes.length; i++) if (data[at + i] !== bytes[i]) return false;
  return true;
}

/** magic, checksum (u64) of V8's bytes, the identity's length (u32); then the identity, then V8's bytes. */
const HEADER_BYTES = MAGIC.length + 12;
/** Entries kept per bundle: enough for every command, with flags variants; the oldest go first. */
const MAX_ENTRIES = 48;

interface Compiled {
  file: string;
  script: Script;
  /** The entry's path: `<bundle>-<identity hash>.<kind>[.<flag>…].v8`. */
  entry: string;
  /** `<bundle>-`: every entry of this bundle starts so (pruning). */
  bundle: string;
  /** `<bundle>-<identity hash>`: the entries of this build and Node, whatever the flags. */
  build: string;
  flags: string;
  /** Everything the bytes depend on, kept in the entry too: a name is a 32-bit hash, and may collide. */
  identity: string;
  /** Whether the entry was there and V8 took it; if not, this run writes it. */
  hit: boolean;
  /** V8's bytes, taken before a flag change would stamp them with other flags. */
  payload?: Buffer;
}

export interface CacheReport {
  file: string;
  entry: string;
  hit: boolean;
}

/** FNV-1a (32 bits) of a short text: names entries. */
function textHash(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return (hash >>> 0).toString(16).padStart(8, '0');
}

/** The last part of a path, as node:path's basename gives it, without compiling that on every start. */
function fileName(path: string): string {
  return path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
}

/**
 * The folder of one installation's entries under the cache root. Installations (a global one, a
 * clone) prune only their own entries, so two in use never evict each other's.
 */
export function installFolder(root: string, installDir: string): string {
  return join(root, textHash(installDir));
}

/** Whether this Node has what the cache needs (WebAssembly, which `node --jitless` turns off). */
export function compileCacheSupported(): boolean {
  return checksumAvailable();
}

export class CompileCache {
  private readonly compiled: Compiled[] = [];

  /**
   * `kind` names what this run does (its command, a word of letters and dashes): part of each
   * entry's name. `Module` is Node's CommonJS loader class; the entry hands over its own
   * (`module.constructor`) because importing node:module would load its public wrapper (~0.3 ms).
   */
  constructor(
    private readonly dir: string,
    private readonly kind: string,
    private readonly Module: typeof NodeModule,
    /** What the bundles were built from (a digest of their contents): part of every entry's identity. */
    private readonly buildDigest = '',
  ) {
    beforeV8FlagChange(() => this.takePayloads());
  }

  /**
   * Runs the CommonJS bundle at `file` as `require` would, compiled from the cache where it can be.
   * `route(id)` may answer a require from inside the bundle (amps routes its vendored bundles back
   * here); anything it leaves undefined goes to Node's require.
   */
  load(file: string, route?: (id: string) => unknown): unknown {
    // One descriptor for the text and its size and date: statSync would compile Node's code for it
    // (~1 M instructions), where fstatSync is compiled already (readEntry, output/stdio.ts).
    const fd = openSync(file, 'r');
    let source: string;
    let size: number;
    let mtimeMs: number;
    try {
      ({ size, mtimeMs } = fstatSync(fd));
      source = readFileSync(fd, 'utf8');
    } finally {
      closeSync(fd);
    }
    const flags = activeV8Flags();
    const identity = [file, size, mtimeMs, this.buildDigest, process.version, process.versions.v8, process.platform, process.arch].join('\n');
    const bundle = `${fileName(file)}-`;
    const build = `${bundle}${textHash(identity)}`;
    const entry = join(this.dir, `${build}.${this.kind}${flags.map((f) => f.replace(/^-+/, '.')).join('')}.v8`);
    const cachedData = this.read(entry, identity);
    const { Module } = this;
    const script = new Script(Module.wrap(source), { filename: file, cachedData });
    const hit = cachedData !== undefined && script.cachedDataRejected !== true;
    this.compiled.push({ file, script, entry, bundle, build, flags: flags.join(' '), identity, hit });

    const module = new Module(file, undefined);
    module.filename = file;
    const nodeRequire = Module.createRequire(file);
    const require = Object.assign((id: string) => route?.(id) ?? nodeRequire(id), nodeRequire);
    (script.runInThisContext() as (...args: unknown[]) => void).call(module.exports, module.exports, require, module, file, dirname(file));
    module.loaded = true;
    return module.exports;
  }

  /**
   * Writes no entry for `file` at the end of this run: it was loaded but not run (boot.ts's wrong
   * guess of a bundle). Its entry would hold only its top level under the name of a command that
   * runs it fully (`--profile get explain` guesses get), and a hit is never rewritten.
   */
  discard(file: string): void {
    const at = this.compiled.findIndex((compiled) => compiled.file === file);
    if (at !== -1) this.compiled.splice(at, 1);
  }

  /** What this run found, bundle by bundle. */
  report(): CacheReport[] {
    return this.compiled.map(({ file, entry, hit }) => ({ file, entry, hit }));
  }

  /**
   * Writes the entries this run should. Called once the command is done, so the cached code holds
   * every function the run compiled, not only the top level. Never throws.
   */
  save(): void {
    // The usual run found every entry: nothing to take or write.
    if (this.compiled.every((c) => c.hit)) return;
    this.takePayloads();
    const due = this.compiled.filter((c) => !c.hit && c.payload);
    if (due.length === 0) return;
    try {
      makeDirs(this.dir, 0o700);
      for (const compiled of due) this.write(compiled);
    } catch {
      // A cache directory that is read-only, full or missing costs speed only: the run is already done.
    }
  }

  /**
   * V8 stamps cached code with the flags in force when it is made, and refuses it under others: the
   * bytes of a bundle compiled under the current flags are taken now, before they change.
   */
  private takePayloads(): void {
    const flags = activeV8Flags().join(' ');
    for (const compiled of this.compiled) {
      if (!compiled.hit && !compiled.payload && compiled.flags === flags) compiled.payload = compiled.script.createCachedData();
    }
  }

  private write(compiled: Compiled): void {
    const identity = Buffer.from(compiled.identity);
    const data = Buffer.alloc(HEADER_BYTES + identity.length + compiled.payload!.length);
    data.write(MAGIC, 0, 'latin1');
    data.writeBigUInt64LE(checksum(compiled.payload!), MAGIC.length);
    data.writeUInt32LE(identity.length, MAGIC.length + 8);
    identity.copy(data, HEADER_BYTES);
    compiled.payload!.copy(data, HEADER_BYTES + identity.length);
    writeFileWhole(compiled.entry, data);
    this.prune(compiled);
  }

  /** The entry's V8 bytes when it is this identity's and its checksum holds, else undefined (absent, another's, truncated, damaged). */
  private read(entry: string, identity: string): Buffer | undefined {
    let data: Buffer;
    try {
      data = readEntry(entry);
    } catch {
      return undefined;
    }
    // Compared as bytes, through a DataView: Buffer's own readers and toString are Node code
    // compiled on first use (~0.5 M instructions of every start); Buffer.from is compiled already.
    if (data.length <= HEADER_BYTES || !bytesAt(data, 0, Buffer.from(MAGIC))) return undefined;
    const header = new DataView(data.buffer, data.byteOffset, HEADER_BYTES);
    const identityBytes = Buffer.from(identity);
    if (header.getUint32(MAGIC.length + 8, true) !== identityBytes.length || HEADER_BYTES + identityBytes.length >= data.length || !bytesAt(data, HEADER_BYTES, identityBytes)) return undefined;
    const identityEnd = HEADER_BYTES + identityBytes.length;
    const payload = data.subarray(identityEnd);
    try {
      return checksum(payload) === header.getBigUint64(MAGIC.length, true) ? payload : undefined;
    } catch {
      // WebAssembly refused (no memory for it under a ulimit, --wasm-max-mem-pages): run uncached.
      return undefined;
    }
  }

  /**
   * Removes the bundle's entries of earlier builds or Node versions, and beyond MAX_ENTRIES the
   * oldest of the rest (a typo'd command makes an entry too).
   */
  private prune({ bundle, build }: Compiled): void {
    const current: Array<{ path: string; mtime: number }> = [];
    for (const name of readdirSync(this.dir)) {
      if (!name.startsWith(bundle) || !name.endsWith('.v8')) continue;
      const path = join(this.dir, name);
      try {
        if (!name.startsWith(`${build}.`)) unlinkSync(path);
        else current.push({ path, mtime: statSync(path).mtimeMs });
      } catch {
        // Another run removed it first.
      }
    }
    current.sort((x, y) => y.mtime - x.mtime);
    for (const { path } of current.slice(MAX_ENTRIES)) rmSync(path, { force: true });
  }
}
