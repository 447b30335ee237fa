// A 64-bit checksum of a buffer, computed by a few lines of WebAssembly assembled below. It guards
// the compile cache's entries (lib/compile-cache.ts), read on every start, so it must cost nothing
// to load: zlib's crc32 brings node:zlib and every stream module with it (~1.5-2 ms of a 25 ms
// start, bench/startup.mjs), node:crypto costs more, and the same loop in JavaScript runs ~2.5 ms
// over a 240 KB entry before V8 has compiled it. WebAssembly is part of V8: nothing to load, and
// the loop runs at native speed from its first call (~0.1 ms for that entry).
//
// The function: h = length ^ SEED; then for each 8-byte little-endian word w (the last one padded
// with zeros), h = fmix(h ^ w), where fmix is SplitMix64's finaliser (xor-shift, multiply,
// xor-shift, multiply, xor-shift). fmix is a bijection, so two inputs of the same length that differ
// within one word always give different sums; and it spreads any change of h over about half its
// 64 bits, so damage across several words goes unnoticed only if the next words happen to carry
// that exact pattern: odds of about 2^-64 for damage of any shape. (A single multiply and shift
// per word, the first version, let a fixed three-bit pattern across two words cancel out.)
// It detects damage; it is no defence against someone who means to forge an entry (nor needs to
// be: whoever can write the cache directory can write amps' own files).

const SEED = 0x243f6a8885a308d3n;
const FMIX_1 = 0xbf58476d1ce4e5b9n;
const FMIX_2 = 0x94d049bb133111ebn;
const SHIFTS = [30n, 27n, 31n] as const;

/** The same sum in plain JavaScript, slowly: the reference the WebAssembly is tested against. */
export function referenceChecksum(data: Uint8Array): bigint {
  const words = new Uint8Array(Math.ceil(data.length / 8) * 8);
  words.set(data);
  const view = new DataView(words.buffer);
  let h = BigInt(data.length) ^ SEED;
  for (let at = 0; at < words.length; at += 8) {
    h ^= view.getBigUint64(at, true);
    h ^= h >> SHIFTS[0];
    h = BigInt.asUintN(64, h * FMIX_1);
    h ^= h >> SHIFTS[1];
    h = BigInt.asUintN(64, h * FMIX_2);
    h ^= h >> SHIFTS[2];
  }
  return h;
}

/**
 * The module, written out byte by byte (WebAssembly core specification, binary format): assembling
 * it from named opcodes at start-up cost ~2.5 M instructions of every run (bench/startup.mjs
 * --instructions), a tenth of what amps may add to Node's own start. The test against
 * referenceChecksum checks every byte's meaning. In the text format:
 *
 *   (module
 *     (memory (export "memory") 1)
 *     (func (export "checksum") (param $length i32) (result i64) (local $at i32) (local $sum i64)
 *       (local.set $sum (i64.xor (i64.extend_i32_u (local.get $length)) (i64.const SEED)))
 *       (block (loop
 *         (br_if 1 (i32.ge_u (local.get $at) (local.get $length)))
 *         ;; sum = fmix(sum ^ word)
 *         (local.set $sum (i64.xor (local.get $sum) (i64.load (local.get $at))))
 *         (local.set $sum (i64.mul (i64.xor (local.get $sum) (i64.shr_u (local.get $sum) (i64.const 30))) (i64.const FMIX_1)))
 *         (local.set $sum (i64.mul (i64.xor (local.get $sum) (i64.shr_u (local.get $sum) (i64.const 27))) (i64.const FMIX_2)))
 *         (local.set $sum (i64.xor (local.get $sum) (i64.shr_u (local.get $sum) (i64.const 31))))
 *         (local.set $at (i32.add (local.get $at) (i32.const 8)))
 *         (br 0)))
 *       (local.get $sum)))
 */
const MODULE = [
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
  0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01, 0x7e, // type section: one type, (i32) -> i64
  0x03, 0x02, 0x01, 0x00, // function section: one function, of type 0
  0x05, 0x03, 0x01, 0x00, 0x01, // memory section: one memory, at least one page, no maximum
  0x07, 0x15, 0x02, // export section: two exports
  0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00, // "memory", memory 0
  0x08, 0x63, 0x68, 0x65, 0x63, 0x6b, 0x73, 0x75, 0x6d, 0x00, 0x00, // "checksum", function 0
  0x0a, 0x6a, 0x01, 0x68, // code section: one body, 104 bytes
  0x02, 0x01, 0x7f, 0x01, 0x7e, // locals: one i32 ($at), one i64 ($sum)
  0x20, 0x00, 0xad, // local.get $length, i64.extend_i32_u
  0x42, 0xd3, 0x91, 0x8c, 0xad, 0x88, 0xd1, 0xda, 0x9f, 0x24, // i64.const SEED (signed LEB128)
  0x85, 0x21, 0x02, // i64.xor, local.set $sum
  0x02, 0x40, 0x03, 0x40, // block, loop
  0x20, 0x01, 0x20, 0x00, 0x4f, 0x0d, 0x01, // local.get $at, local.get $length, i32.ge_u, br_if 1
  0x20, 0x02, 0x20, 0x01, 0x29, 0x03, 0x00, 0x85, // local.get $sum, local.get $at, i64.load align=8, i64.xor
  0x22, 0x02, 0x20, 0x02, 0x42, 0x1e, 0x88, 0x85, // local.tee $sum, local.get $sum, i64.const 30, i64.shr_u, i64.xor
  0x42, 0xb9, 0xcb, 0x93, 0xe7, 0xd1, 0xed, 0x91, 0xac, 0xbf, 0x7f, 0x7e, // i64.const FMIX_1, i64.mul
  0x22, 0x02, 0x20, 0x02, 0x42, 0x1b, 0x88, 0x85, // local.tee $sum, local.get $sum, i64.const 27, i64.shr_u, i64.xor
  0x42, 0xeb, 0xa3, 0xc4, 0x99, 0xb1, 0xb7, 0x92, 0xe8, 0x94, 0x7f, 0x7e, // i64.const FMIX_2, i64.mul
  0x22, 0x02, 0x20, 0x02, 0x42, 0x1f, 0x88, 0x85, 0x21, 0x02, // local.tee $sum, local.get $sum, i64.const 31, i64.shr_u, i64.xor, local.set $sum
  0x20, 0x01, 0x41, 0x08, 0x6a, 0x21, 0x01, // local.get $at, i32.const 8, i32.add, local.set $at
  0x0c, 0x00, 0x0b, 0x0b, // br 0, end (loop), end (block)
  0x20, 0x02, 0x0b, // local.get $sum, end (function)
];

const PAGE = 65536;

interface Exports {
  memory: WebAssembly.Memory;
  checksum(length: number): bigint;
}

let instance: Exports | undefined;

/** Whether this process can compute it (WebAssembly is off under `node --jitless`). */
export function checksumAvailable(): boolean {
  return typeof WebAssembly === 'object';
}

/** The checksum of `data` (see the top of this file); equal to referenceChecksum(data). */
export function checksum(data: Uint8Array): bigint {
  instance ??= new WebAssembly.Instance(new WebAssembly.Module(new Uint8Array(MODULE))).exports as unknown as Exports;
  const { memory } = instance;
  const padded = Math.ceil(data.length / 8) * 8;
  if (padded > memory.buffer.byteLength) memory.grow(Math.ceil((padded - memory.buffer.byteLength) / PAGE));
  const words = new Uint8Array(memory.buffer, 0, padded);
  words.set(data);
  words.fill(0, data.length);
  return BigInt.asUintN(64, instance.checksum(data.length));
}
