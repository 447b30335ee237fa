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

const unsigned = (value: number): number[] => {
  const bytes: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (value !== 0);
  return bytes;
};

// The constants as `i64.const` takes them (two's complement, signed LEB128), written out: encoding
// them with BigInt arithmetic at start-up cost ~0.5 ms. The test against referenceChecksum checks them.
const SEED_LEB128 = [0xd3, 0x91, 0x8c, 0xad, 0x88, 0xd1, 0xda, 0x9f, 0x24];
const FMIX_1_LEB128 = [0xb9, 0xcb, 0x93, 0xe7, 0xd1, 0xed, 0x91, 0xac, 0xbf, 0x7f];
const FMIX_2_LEB128 = [0xeb, 0xa3, 0xc4, 0x99, 0xb1, 0xb7, 0x92, 0xe8, 0x94, 0x7f];

const section = (id: number, content: number[]): number[] => [id, ...unsigned(content.length), ...content];
const name = (text: string): number[] => [text.length, ...Array.from(text, (c) => c.charCodeAt(0))];

// Opcodes (WebAssembly core specification, binary format).
const I32 = 0x7f, I64 = 0x7e, FUNC = 0x60, EMPTY_BLOCK = 0x40;
const BLOCK = 0x02, LOOP = 0x03, BR = 0x0c, BR_IF = 0x0d, END = 0x0b;
const LOCAL_GET = 0x20, LOCAL_SET = 0x21, LOCAL_TEE = 0x22;
const I32_CONST = 0x41, I32_GE_U = 0x4f, I32_ADD = 0x6a;
const I64_CONST = 0x42, I64_LOAD = 0x29, I64_XOR = 0x85, I64_MUL = 0x7e, I64_SHR_U = 0x88, I64_EXTEND_I32_U = 0xad;
// Locals: 0 the length (parameter), 1 the offset, 2 the sum.
const LENGTH = 0, AT = 1, SUM = 2;

/** (module (memory (export "memory") 1) (func (export "checksum") (param i32) (result i64) …)) */
function moduleBytes(): Uint8Array<ArrayBuffer> {
  const body = [
    2, 1, I32, 1, I64, // locals: one i32 (the offset), one i64 (the sum)
    LOCAL_GET, LENGTH, I64_EXTEND_I32_U, I64_CONST, ...SEED_LEB128, I64_XOR, LOCAL_SET, SUM,
    BLOCK, EMPTY_BLOCK,
    LOOP, EMPTY_BLOCK,
    LOCAL_GET, AT, LOCAL_GET, LENGTH, I32_GE_U, BR_IF, 1, // past the end: leave the block
    // h = fmix(h ^ word)
    LOCAL_GET, SUM, LOCAL_GET, AT, I64_LOAD, 3, 0, I64_XOR,
    LOCAL_TEE, SUM, LOCAL_GET, SUM, I64_CONST, Number(SHIFTS[0]), I64_SHR_U, I64_XOR, I64_CONST, ...FMIX_1_LEB128, I64_MUL,
    LOCAL_TEE, SUM, LOCAL_GET, SUM, I64_CONST, Number(SHIFTS[1]), I64_SHR_U, I64_XOR, I64_CONST, ...FMIX_2_LEB128, I64_MUL,
    LOCAL_TEE, SUM, LOCAL_GET, SUM, I64_CONST, Number(SHIFTS[2]), I64_SHR_U, I64_XOR, LOCAL_SET, SUM,
    LOCAL_GET, AT, I32_CONST, 8, I32_ADD, LOCAL_SET, AT,
    BR, 0, // next word
    END,
    END,
    LOCAL_GET, SUM,
    END,
  ];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
    ...section(1, [1, FUNC, 1, I32, 1, I64]), // one type: (i32) -> i64
    ...section(3, [1, 0]), // one function, of that type
    ...section(5, [1, 0, 1]), // one memory, one page to start
    ...section(7, [2, ...name('memory'), 2, 0, ...name('checksum'), 0, 0]),
    ...section(10, [1, ...unsigned(body.length), ...body]),
  ]);
}

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
  instance ??= new WebAssembly.Instance(new WebAssembly.Module(moduleBytes())).exports as unknown as Exports;
  const { memory } = instance;
  const padded = Math.ceil(data.length / 8) * 8;
  if (padded > memory.buffer.byteLength) memory.grow(Math.ceil((padded - memory.buffer.byteLength) / PAGE));
  const words = new Uint8Array(memory.buffer, 0, padded);
  words.set(data);
  words.fill(0, data.length);
  return BigInt.asUintN(64, instance.checksum(data.length));
}
