// The canonical push schema (decision 5): every key is honoured, validated or rejected, never dropped.

import { DIRECTIVE_KEYS, PUSH_ACTION_KEYS, PUSH_BODY_KEYS, QUANTITY_KEYS, STRATEGIES, type Strategy } from '../contract/actions.js';
import type { Quantity } from '../contract/devices.js';
import { isQuantity } from '../domain/quantity.js';
import { isKnownCode } from '../errors/catalogue.js';
import { isRecord, unknownKeys } from '../lib/values.js';
import { validation } from './http.js';

export function quantityProblems(value: unknown, path: string): Array<{ path: string; problem: string }> {
  if (!isQuantity(value)) return [{ path, problem: 'must be a Quantity {"value": number, "unit": string}' }];
  const extra = unknownKeys(value, QUANTITY_KEYS);
  if (extra.length > 0) return [{ path, problem: `unknown keys ${extra.join(', ')}` }];
  // A unit of no parameter's (`KW`) is a wrong unit like any other: the device's check answers it
  // 422 UNSUPPORTED_UNIT, naming the units it takes (contract.md: "Wrong unit"), as the preflight does.
  return [];
}

export interface ParsedPush {
  command: string;
  parameters?: Record<string, Quantity>;
  start?: string;
  end?: string;
  onConflict?: Strategy;
  directive?: { result?: string; errorCode?: string; phase?: string };
}

/** The canonical schema: every key is honoured, validated or rejected, never dropped. */
export function parsePushBody(body: unknown): ParsedPush {
  if (!isRecord(body)) throw validation([{ path: '', problem: 'must be a JSON object' }]);
  const problems: Array<{ path: string; problem: string }> = [];
  for (const path of unknownKeys(body, PUSH_BODY_KEYS)) problems.push({ path, problem: 'unknown key' });
  const action = body.action;
  if (!isRecord(action)) {
    problems.push({ path: 'action', problem: action === undefined ? 'is required' : 'must be an object' });
    throw validation(problems);
  }
  for (const path of unknownKeys(action, PUSH_ACTION_KEYS, 'action')) problems.push({ path, problem: 'unknown key' });
  if (typeof action.command !== 'string' || action.command === '') problems.push({ path: 'action.command', problem: 'is required and must be a string' });
  if (action.parameters !== undefined && action.parameters !== null) {
    if (!isRecord(action.parameters)) problems.push({ path: 'action.parameters', problem: 'must be an object of Quantities' });
    else for (const [name, value] of Object.entries(action.parameters)) problems.push(...quantityProblems(value, `action.parameters.${name}`));
  }
  for (const key of ['start', 'end'] as const) {
    if (action[key] !== undefined && action[key] !== null && typeof action[key] !== 'string') problems.push({ path: `action.${key}`, problem: 'must be a string' });
  }
  if (body.onConflict !== undefined && !(STRATEGIES as readonly unknown[]).includes(body.onConflict)) {
    problems.push({ path: 'onConflict', problem: `must be one of ${STRATEGIES.join(', ')}` });
  }
  const sandbox = body.sandbox;
  if (sandbox !== undefined) {
    if (!isRecord(sandbox)) problems.push({ path: 'sandbox', problem: 'must be an object' });
    else {
      for (const path of unknownKeys(sandbox, DIRECTIVE_KEYS, 'sandbox')) problems.push({ path, problem: 'unknown key' });
      if (sandbox.phase !== undefined && sandbox.phase !== 'request' && sandbox.phase !== 'dispatch') problems.push({ path: 'sandbox.phase', problem: 'must be "request" or "dispatch"' });
      if (sandbox.result !== undefined && sandbox.result !== 'failed' && sandbox.result !== 'succeeded') problems.push({ path: 'sandbox.result', problem: 'must be "failed" or "succeeded"' });
      if (sandbox.errorCode !== undefined && (typeof sandbox.errorCode !== 'string' || !isKnownCode(sandbox.errorCode))) problems.push({ path: 'sandbox.errorCode', problem: 'must be a canonical error code' });
    }
  }
  if (problems.length > 0) throw validation(problems);
  return {
    command: action.command as string,
    parameters: (action.parameters ?? undefined) as Record<string, Quantity> | undefined,
    start: (action.start ?? undefined) as string | undefined,
    end: (action.end ?? undefined) as string | undefined,
    onConflict: body.onConflict as Strategy | undefined,
    directive: sandbox as ParsedPush['directive'],
  };
}
