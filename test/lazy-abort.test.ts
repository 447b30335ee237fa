import { describe, expect, it } from 'vitest';
import { LazyAbortController } from '../src/lib/lazy-abort.js';

describe('the process signals, made when first asked for', () => {
  it('an abort before anyone asked gives an aborted signal, and aborting again is no error', () => {
    const early = new LazyAbortController();
    expect(early.aborted).toBe(false);
    early.abort();
    expect(early.aborted).toBe(true);
    expect(early.signal.aborted).toBe(true);
    expect(early.signal.reason).toBeInstanceOf(DOMException);
    early.abort();
    expect(early.signal).toBe(early.signal);
  });

  it('an abort after a command took the signal reaches its listeners once', () => {
    const late = new LazyAbortController();
    const { signal } = late;
    let heard = 0;
    signal.addEventListener('abort', () => heard++);
    expect(signal.aborted).toBe(false);
    late.abort();
    late.abort();
    expect([late.aborted, signal.aborted, heard, late.signal]).toEqual([true, true, 1, signal]);
  });
});
