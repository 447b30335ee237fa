import { afterEach, describe, expect, it, vi } from 'vitest';
import { Throttle } from './throttle.js';

describe('the fleet\'s throttle after a 429', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('each worker waits the Retry-After, then a spread of its own: workers refused together do not all start again at one instant', async () => {
    vi.useFakeTimers();
    const draws = [0, 1];
    const throttle = new Throttle(4, new AbortController().signal, () => draws.shift() ?? 0);
    throttle.rateLimited(1000);
    const started: number[] = [];
    const t0 = Date.now();
    const worker = () => throttle.acquire().then(() => {
      started.push(Date.now() - t0);
      throttle.release();
    });
    const both = Promise.all([worker(), worker()]);
    await vi.advanceTimersByTimeAsync(2000);
    await both;
    // Never before the Retry-After; the second drew the whole spread (half of a 1 s wait).
    expect(started.sort((a, b) => a - b)).toEqual([1000, 1500]);
  });

  it('sixteen workers waiting a pause and their spreads hold one abort listener, not one each (Node warned past ten), and Ctrl-C wakes them all', async () => {
    vi.useFakeTimers();
    const controller = new AbortController();
    const { EventEmitter } = await import('node:events');
    const throttle = new Throttle(16, controller.signal, () => 1);
    throttle.rateLimited(1000);
    const workers = Array.from({ length: 16 }, () => throttle.acquire().then(() => 'started', (error: Error) => error.name));
    // Past the pause, inside the spreads.
    await vi.advanceTimersByTimeAsync(1100);
    expect(EventEmitter.getEventListeners(controller.signal, 'abort').length).toBeLessThanOrEqual(2);
    controller.abort();
    await vi.advanceTimersByTimeAsync(0);
    expect(new Set(await Promise.all(workers))).toEqual(new Set(['InterruptedError']));
  });

  it('the spread takes at most half of the time left before the worker\'s --timeout', async () => {
    vi.useFakeTimers();
    const throttle = new Throttle(4, new AbortController().signal, () => 1);
    const t0 = Date.now();
    throttle.rateLimited(1000);
    let started = -1;
    const acquired = throttle.acquire(t0 + 1200).then(() => (started = Date.now() - t0));
    await vi.advanceTimersByTimeAsync(2000);
    await acquired;
    // 200 ms were left after the pause: 100 of them for the spread, 100 for the send.
    expect(started).toBe(1100);
  });
});
