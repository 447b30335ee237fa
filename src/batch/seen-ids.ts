// The device ids a fleet's input has listed, so that a device listed twice is sent once. Kept as
// 64 bits of hash and the first line number per id, in typed arrays at most half full: 24 bytes a
// device (2.4 MB for 100,000), where a Set of the ids would keep every row's text alive and cost
// several times that. Two different ids share all 64 bits with odds of about n²/2^65 (one in
// 30 million at a million devices); the second is then reported as a repeat, never dropped silently.

const FIRST_SLOTS = 1024;

/** Two independent 32-bit hashes of the id's UTF-16 code units (FNV-1a; a multiply-rotate mix). */
function hashes(id: string): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x9747b28c ^ id.length;
  for (let i = 0; i < id.length; i++) {
    const unit = id.charCodeAt(i);
    a = Math.imul(a ^ unit, 0x01000193);
    b = Math.imul(b ^ unit, 0x5bd1e995);
    b = (b << 13) | (b >>> 19);
  }
  b = Math.imul(b ^ (b >>> 15), 0x85ebca6b);
  b ^= b >>> 13;
  // A slot whose two halves are zero is empty: an id never hashes to that.
  return [a >>> 0, (b | 1) >>> 0];
}

export class SeenIds {
  private high = new Uint32Array(FIRST_SLOTS);
  private low = new Uint32Array(FIRST_SLOTS);
  private lines = new Uint32Array(FIRST_SLOTS);
  private count = 0;

  /** Records the id at `line`; returns the line it was first listed on when it was listed before. */
  firstLineOf(id: string, line: number): number | undefined {
    const [high, low] = hashes(id);
    const mask = this.high.length - 1;
    for (let slot = high & mask; ; slot = (slot + 1) & mask) {
      if (this.low[slot] === 0) {
        this.high[slot] = high;
        this.low[slot] = low;
        this.lines[slot] = line;
        if (++this.count * 2 > this.high.length) this.grow();
        return undefined;
      }
      if (this.high[slot] === high && this.low[slot] === low) return this.lines[slot];
    }
  }

  private grow(): void {
    const [high, low, lines] = [this.high, this.low, this.lines];
    this.high = new Uint32Array(high.length * 2);
    this.low = new Uint32Array(high.length * 2);
    this.lines = new Uint32Array(high.length * 2);
    const mask = this.high.length - 1;
    for (let from = 0; from < high.length; from++) {
      if (low[from] === 0) continue;
      let slot = high[from] & mask;
      while (this.low[slot] !== 0) slot = (slot + 1) & mask;
      this.high[slot] = high[from];
      this.low[slot] = low[from];
      this.lines[slot] = lines[from];
    }
  }
}
