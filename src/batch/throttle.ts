// How many pushes a batch keeps in flight. A 429 halves it and pauses every worker until the
// Retry-After has passed; successes then ramp it back up one at a time (additive increase,
// multiplicative decrease), so a rate-limited run slows down together instead of every worker
// hammering on.

export class Throttle {
  private allowed: number;
  private active = 0;
  private pausedUntil = 0;
  private successes = 0;
  private waiters: Array<() => void> = [];

  constructor(private readonly max: number) {
    this.allowed = max;
  }

  get limit(): number {
    return this.allowed;
  }

  async acquire(): Promise<void> {
    for (;;) {
      const wait = this.pausedUntil - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      else if (this.active < this.allowed) break;
      else await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    this.active++;
  }

  release(): void {
    this.active--;
    this.waiters.shift()?.();
  }

  succeeded(): void {
    if (this.allowed >= this.max) return;
    if (++this.successes >= this.allowed) {
      this.allowed++;
      this.successes = 0;
      this.waiters.shift()?.();
    }
  }

  rateLimited(retryAfterMs: number): void {
    this.allowed = Math.max(1, Math.floor(this.allowed / 2));
    this.successes = 0;
    this.pausedUntil = Math.max(this.pausedUntil, Date.now() + retryAfterMs);
  }
}
