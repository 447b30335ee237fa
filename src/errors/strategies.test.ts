import { describe, expect, it } from 'vitest';
import { decodeError } from './decode.js';
import { strategiesOnOffer } from './strategies.js';

const conflict = (code: string, details: Record<string, unknown>, message = 'm') =>
  decodeError(409, {}, JSON.stringify({ success: false, error: { code, message, details } }));

describe('the strategies a 409 offers', () => {
  it('the response decides when it lists any, whatever the device read said', () => {
    expect(strategiesOnOffer(conflict('SCHEDULER_ACTIVE', { recoveryStrategies: ['queue_after', 'cancel_and_replace', 'x'] }), ['cancel_and_replace'])).toEqual(['cancel_and_replace', 'queue_after']);
    expect(strategiesOnOffer(conflict('CONFLICT', { reason: 'no_strategy_supplied', strategies: ['queue_after'] }), [])).toEqual(['queue_after']);
  });

  it('listing none: the catalogue entry\'s, less any the device does not take', () => {
    const active = conflict('SCHEDULER_ACTIVE', {});
    expect(strategiesOnOffer(active)).toEqual(['cancel_and_replace']);
    expect(strategiesOnOffer(active, ['cancel_and_replace', 'queue_after'])).toEqual(['cancel_and_replace']);
    // The device would answer 400 to an onConflict its conflictStrategies do not list.
    expect(strategiesOnOffer(active, ['queue_after'])).toEqual([]);
    expect(strategiesOnOffer(active, 'cancel_and_replace' as never)).toEqual(['cancel_and_replace']);
  });

  it('a pending CONFLICT listing none: the device\'s; in flight: none', () => {
    expect(strategiesOnOffer(conflict('CONFLICT', { reason: 'no_strategy_supplied', conflictingActionIds: ['act_1'] }), ['queue_after'])).toEqual(['queue_after']);
    expect(strategiesOnOffer(conflict('CONFLICT', { reason: 'no_strategy_supplied', conflictingActionIds: ['act_1'] }))).toEqual([]);
    const inFlight = 'The conflicting action is already in progress and cannot be cancelled. Wait for it to complete or fail.';
    expect(strategiesOnOffer(conflict('CONFLICT', { conflictingActionIds: ['act_1'] }, inFlight), ['cancel_and_replace'])).toEqual([]);
  });
});
