// Typed calls, one per endpoint the commands use. Paths spell device types with hyphens. Each
// checks that a success body is the documented result before any command touches it: a `null`
// or a string where an action should be is the server's fault, decoded as INVALID_RESPONSE (exit
// 8), never a crash; after a push it says the push was sent.

import { pathSegment } from '../domain/device-types.js';
import { idProblem } from '../contract/ids.js';
import { invalidSuccess } from '../errors/decode.js';
import { ApiFailure } from '../errors/failures.js';
import { isRecord, JSON_BOUNDS, kindOf, nestsWithin } from '../lib/values.js';
import type { ApiClient, ApiResponse } from './client.js';
import type { ActionRecord, Page } from '../contract/actions.js';
import { commandsProblem, type DeviceType, type DeviceRead, settingsProblem } from '../contract/devices.js';
import type { ScheduleRecord } from '../contract/schedules.js';
import { isSlot } from '../domain/schedule.js';
import { isHeaderWord, type WebhookEvent } from '../contract/webhooks.js';
import { apiInstant } from '../contract/api-time.js';

const enc = encodeURIComponent;

/** The minimum each result must have for amps to use it; the reason it fails, or undefined. */
type Shape = (data: unknown) => string | undefined;

/** A value the API gave where another was due, as a refusal quotes it. */
const quoted = (value: unknown) => JSON.stringify(value).slice(0, 40);

const actionShape: Shape = (data) => {
  if (!isRecord(data)) return `data that is ${kindOf(data)}, not an action`;
  if (typeof data.id !== 'string' || data.id === '') return 'an action without an id';
  // The id goes into the next request's path (a wait, a cancel): `..` there would be another route.
  const idTrouble = idProblem(data.id);
  if (idTrouble) return `an action whose id ${idTrouble}`;
  if (typeof data.state !== 'string') return data.state === undefined || data.state === null ? 'an action without a state' : `an action whose state is not text (${quoted(data.state)})`;
  // Shown, matched against the catalogue and quoted in a wait's last line: text or nothing.
  for (const key of ['errorCode', 'errorMessage'] as const) {
    const value = data[key];
    if (value !== undefined && value !== null && typeof value !== 'string') return `an action whose ${key} is not text (${quoted(value)})`;
  }
  // A start or end amps cannot read cannot be checked against what was sent (moved?) nor shown.
  for (const key of ['start', 'end'] as const) {
    const value = data[key];
    if (value !== undefined && value !== null && apiInstant(value) === undefined) return `an action whose ${key} is not a time (${quoted(value)})`;
  }
  return undefined;
};
const deviceShape: Shape = (data) => (!isRecord(data) ? `data that is ${kindOf(data)}, not a device` : typeof data.id !== 'string' ? 'a device without an id' : undefined);
const pageShape: Shape = (data) => (!isRecord(data) ? `data that is ${kindOf(data)}, not a list page` : !Array.isArray(data.items) ? 'a list page without items' : undefined);
const settingsShape: Shape = (data) => (!isRecord(data) ? `data that is ${kindOf(data)}, not a settings result` : !Array.isArray(data.updated) ? 'a settings result without updated' : undefined);

/**
 * A result must be about what was asked for: an action, a device or a schedule answered for
 * another id (a proxy's cache, a server's bug) would be shown, waited on or counted as this one's.
 * `required` when the docs always give the field; else only a value that differs is refused.
 */
function about(shape: Shape, key: 'id' | 'deviceId', asked: string, required = true): Shape {
  return (data) => {
    const problem = shape(data);
    if (problem || !isRecord(data)) return problem;
    const answered = data[key];
    if (answered === asked || (!required && (answered === undefined || answered === null))) return undefined;
    return `a result whose ${key} is ${JSON.stringify(answered)?.slice(0, 60) ?? 'missing'}, not ${asked}, the one asked for`;
  };
}

/**
 * A write answered with a success status whose body amps cannot use (HTML, cut-off JSON, one past
 * the size limit): it was taken all the same, so the failure says so (`sent`), never "retry".
 */
export function saidAsSent(error: unknown, sent: string): unknown {
  const d = error instanceof ApiFailure ? error.decoded : undefined;
  return d && d.status !== null && d.status >= 200 && d.status < 300 ? new ApiFailure({ ...d, message: `${d.message}. ${sent}` }, false, (error as ApiFailure).serverDate) : error;
}

async function checked<T>(response: Promise<ApiResponse<unknown>>, shape: Shape, sent?: string): Promise<ApiResponse<T>> {
  let result: ApiResponse<unknown>;
  try {
    result = await response;
  } catch (error) {
    throw sent ? saidAsSent(error, sent) : error;
  }
  const problem = shape(result.data);
  // An empty body is the decoder's `data: null` (a 204's): said as what arrived, as an error status's empty body is.
  // Its Date header goes with it: `amps doctor` checks the clock from a refused read too.
  if (problem) throw Object.assign(new ApiFailure(invalidSuccess(result.status, result.raw.trim() === '' ? 'an empty body' : problem, typeof result.meta.requestId === 'string' ? result.meta.requestId : undefined, sent), false, result.serverDate), { attempts: result.attempts });
  return result as ApiResponse<T>;
}

/**
 * A page's items that are objects, and, given `itemShape`, usable as one read alone would be (an
 * action's id goes into the next command, `cut -f1 | xargs amps actions cancel`): one bad item
 * never sinks a list, and is counted as left out. Its pagination's `total` only when it is a
 * count: a server's text there (`"5"`, escape sequences) would be added up as text and printed as
 * it came.
 */
function objectItems<T>(page: ApiResponse<Page<T>>, itemShape?: Shape): ApiResponse<Page<T>> {
  const items = page.data.items.filter((item) => isRecord(item) && itemShape?.(item) === undefined);
  const pagination = page.data.pagination;
  const badTotal = isRecord(pagination) && pagination.total !== undefined && !(Number.isSafeInteger(pagination.total) && (pagination.total as number) >= 0);
  if (items.length === page.data.items.length && !badTotal) return page;
  return { ...page, data: { ...page.data, items, received: page.data.items.length, ...(badTotal ? { pagination: { ...pagination, total: undefined } } : {}) } };
}

/**
 * Where a read of every page stops, and says so: 10,000 pages of 50 is half a million items, and a
 * server that answers `hasMore: true` for ever must not grow amps without bound.
 */
export const MAX_LIST_PAGES = 10_000;

/**
 * Why a page of `items` items is not the one asked for at `asked`: it says it starts at another
 * offset (a cursor that loops back to 0), so its items would be listed again, or some skipped.
 * Undefined when it may be taken; a page with nothing on it repeats nothing (an offset past the end
 * may be answered as the last's). For listPages and `amps api --paginate`, which reads its own pages.
 */
export function movedPageText(answered: unknown, asked: number, items: number): string | undefined {
  return typeof answered === 'number' && answered !== asked && items > 0 ? `at a page the API said starts at offset ${answered}, not the ${asked} asked for (reading on would repeat or skip items)` : undefined;
}

/** A page that held nothing though it said more would come: read on, the same offset would be read again. */
export const EMPTY_PAGE_STOP = 'at a page that held nothing though it said more would come';

/** Why a read of every page stopped before the list said it ended. */
export type ListStop = 'page cap' | 'empty page' | 'wrong offset';

/**
 * The pages of a list in order (offset/limit), from `offset`, until one says there is no more, or
 * `maxPages` (MAX_LIST_PAGES) have come, or a page holds nothing though it says more would come (a
 * server's loop: reading on would read the same offset again), or a page says it starts at another
 * offset than the one asked for (its items would be listed again): then `onCapped` hears the offset a
 * next read would start at, and why the read stopped there, for "stopped {why}" (and as a `cause`,
 * for a caller that decides on it). Every read of a typed list goes through here, so none can be led on for ever by `hasMore:
 * true` (`amps api --paginate`, which reads any JSON and streams it, keeps its own loop under the
 * same bound). With `pageSize`, a page without `pagination` (the docs show none for /actions) is
 * the last only when it is short.
 */
export async function* listPages<T>(
  fetchPage: (offset: number) => Promise<ApiResponse<Page<T>>>,
  options: { offset?: number; maxPages?: number; pageSize?: number; onCapped?: (nextOffset: number, why: string, cause: ListStop) => void } = {},
): AsyncGenerator<Page<T>> {
  let offset = options.offset ?? 0;
  for (let page = 0; ; page++) {
    const maxPages = options.maxPages ?? MAX_LIST_PAGES;
    if (page >= maxPages) {
      options.onCapped?.(offset, `after ${maxPages} pages`, 'page cap');
      return;
    }
    const { data } = await fetchPage(offset);
    // Not taken, and said, as a page cap is.
    const moved = movedPageText(data.pagination?.offset, offset, data.received ?? data.items.length);
    if (moved) {
      options.onCapped?.(offset, moved, 'wrong offset');
      return;
    }
    yield data;
    const hasMore = data.pagination?.hasMore;
    // Items left out as no object still took their places: the next page starts after them.
    const received = data.received ?? data.items.length;
    const more = options.pageSize !== undefined && typeof hasMore !== 'boolean' ? received === options.pageSize : Boolean(hasMore);
    if (!more) return;
    if (received === 0) {
      options.onCapped?.(offset, EMPTY_PAGE_STOP, 'empty page');
      return;
    }
    offset += received;
    // A server that says "more" past the total it gave (a loop on its side): the total has been read.
    const total = data.pagination?.total;
    if (total !== undefined && offset >= total) return;
  }
}

export async function listDevices(client: ApiClient, type: DeviceType, query: { limit?: number; offset?: number; userId?: string }): Promise<ApiResponse<Page<DeviceRead>>> {
  return objectItems(await checked<Page<DeviceRead>>(client.request('GET', `/${pathSegment(type)}`, { query }), pageShape), deviceShape);
}

export function getDevice(client: ApiClient, type: DeviceType, id: string, expedite = false): Promise<ApiResponse<DeviceRead>> {
  return checked(client.request('GET', `/${pathSegment(type)}/${enc(id)}`, { query: expedite ? { expedite: true } : undefined }), about(deviceShape, 'id', id));
}

/** A device read whose settings map is none (contract/devices.ts settingsProblem): said of the device. */
const settingsMapShape: Shape = (data) => {
  const problem = isRecord(data) ? settingsProblem(data.settings) : undefined;
  return problem ? `a device whose ${problem}` : undefined;
};

/** A device read whose commands map is none (contract/devices.ts commandsProblem): said of the device. */
const commandsMapShape: Shape = (data) => {
  const problem = isRecord(data) ? commandsProblem(data.commands) : undefined;
  return problem ? `a device whose ${problem}` : undefined;
};

/** A device read for a preflight (push, schedules), checked against its commands map: the read, and a map that is one. */
export function getDeviceForPreflight(client: ApiClient, type: DeviceType, id: string): Promise<ApiResponse<DeviceRead>> {
  return checked(getDevice(client, type, id), commandsMapShape);
}

/** A device read for its settings map (`amps settings`): the read, and a map that is one. */
export function getDeviceSettings(client: ApiClient, type: DeviceType, id: string): Promise<ApiResponse<DeviceRead>> {
  return checked(getDevice(client, type, id), settingsMapShape);
}

export function pushAction(client: ApiClient, type: DeviceType, id: string, body: unknown, retries?: number): Promise<ApiResponse<ActionRecord>> {
  const sent = `The push was sent and accepted; check amps actions list --device ${id} before sending it again`;
  return checked(client.request('POST', `/${pathSegment(type)}/${enc(id)}`, { body, retries }), about(actionShape, 'deviceId', id, false), sent);
}

export function updateSettings(client: ApiClient, type: DeviceType, id: string, body: Record<string, unknown>): Promise<ApiResponse<{ deviceId: string; updated: string[] }>> {
  // The docs: every key written is echoed in `updated`, fire-and-forget manufacturers' too.
  const confirmsAll: Shape = (data) => {
    const missing = isRecord(data) && Array.isArray(data.updated) ? Object.keys(body).filter((name) => !(data.updated as unknown[]).includes(name)) : [];
    return missing.length > 0 ? `a settings result that does not confirm ${missing.join(', ').slice(0, 120)}` : undefined;
  };
  const shape = about(settingsShape, 'deviceId', id);
  return checked(client.request('POST', `/${pathSegment(type)}/${enc(id)}/settings`, { body }), (data) => shape(data) ?? confirmsAll(data), 'The settings were sent; read them back with amps settings before sending again');
}

export async function listActions(client: ApiClient, query: { deviceId?: string; state?: string; deviceType?: string; userId?: string; limit?: number; offset?: number }): Promise<ApiResponse<Page<ActionRecord>>> {
  return objectItems(await checked<Page<ActionRecord>>(client.request('GET', '/actions', { query }), pageShape), actionShape);
}

export function getAction(client: ApiClient, id: string, bound: { timeoutMs?: number } = {}): Promise<ApiResponse<ActionRecord>> {
  return checked(client.request('GET', `/actions/${enc(id)}`, bound), about(actionShape, 'id', id));
}

/** The docs: a cancel is answered 200 with the action `cancelled` (any other state is a 409). */
const cancelledShape: Shape = (data) => actionShape(data) ?? (isRecord(data) && data.state !== 'cancelled' ? `an action still ${quoted(data.state)}, not cancelled` : undefined);

export function cancelAction(client: ApiClient, id: string): Promise<ApiResponse<ActionRecord>> {
  return checked(client.request('POST', `/actions/${enc(id)}/cancel`), about(cancelledShape, 'id', id), 'The cancel was sent; check amps actions get before sending it again');
}

// ── The sandbox's own routes (not part of the Amps API): webhook events, the secret, deliveries ──

/** An event listen prints and forwards: its body is what a handler gets, its seq the cursor. */
// Its id and type go in a delivery's headers (svix-id, amps-event-type): visible ASCII, or no header at all.
// A body nested deeper than JSON_BOUNDS' depth could not be written out again (JSON.stringify overflows the stack).
const isEvent = (item: unknown) => isRecord(item) && isHeaderWord(item.id) && Number.isSafeInteger(item.seq) && isHeaderWord(item.type) && typeof item.createdAt === 'string' && isRecord(item.body) && nestsWithin(item.body, JSON_BOUNDS.depth);
const eventsShape: Shape = (data) => (!isRecord(data) ? `data that is ${kindOf(data)}, not an event list`
  : !Array.isArray(data.items) || typeof data.lastSeq !== 'number' ? 'an event list without items or lastSeq'
  : !data.items.every(isEvent) ? 'an event that is not one (an id, a seq, a type, a time and a body)' : undefined);
const secretShape: Shape = (data) => (!isRecord(data) || typeof data.secret !== 'string' ? 'no webhook secret' : undefined);
const deliveriesShape: Shape = (data) => (!isRecord(data) || !Array.isArray(data.items) ? 'no delivery list' : undefined);

export function listSandboxEvents(client: ApiClient, query: { after?: number; since?: string }): Promise<ApiResponse<{ items: WebhookEvent[]; lastSeq: number; readySeq?: number; oldestSeq: number | null }>> {
  return checked(client.request('GET', '/_sandbox/events', { query }), eventsShape);
}

export function sandboxWebhookSecret(client: ApiClient): Promise<ApiResponse<{ secret: string }>> {
  return checked(client.request('GET', '/_sandbox/webhook-secret'), secretShape);
}

export function resetSandbox(client: ApiClient): Promise<ApiResponse<{ reset: true }>> {
  return checked(client.request('POST', '/_sandbox/reset'), (data) => (isRecord(data) && data.reset === true ? undefined : 'no reset'));
}

export function sandboxDeliveries(client: ApiClient): Promise<ApiResponse<{ delivering: boolean; items: Array<Record<string, unknown>> }>> {
  return checked(client.request('GET', '/_sandbox/deliveries'), deliveriesShape);
}

// ── Schedules (docs/amps-api/contract.md §6.1) ──

const scheduleShape: Shape = (data) => (!isRecord(data) ? `data that is ${kindOf(data)}, not a schedule`
  : typeof data.id !== 'string' || !Array.isArray(data.slots) ? 'a schedule without an id or slots'
  : !data.slots.every(isSlot) ? 'a schedule with a slot that is not one (a time, a duration and a command)' : undefined);

export function getDeviceSchedule(client: ApiClient, type: DeviceType, id: string): Promise<ApiResponse<ScheduleRecord>> {
  return checked(client.request('GET', `/${pathSegment(type)}/${enc(id)}/schedule`), about(scheduleShape, 'deviceId', id, false));
}

export function setDeviceSchedule(client: ApiClient, type: DeviceType, id: string, body: unknown): Promise<ApiResponse<ScheduleRecord>> {
  return checked(client.request('PUT', `/${pathSegment(type)}/${enc(id)}/schedule`, { body }), about(scheduleShape, 'deviceId', id, false), 'The schedule was sent; read it back with amps schedule get before sending it again');
}

export async function clearDeviceSchedule(client: ApiClient, type: DeviceType, id: string): Promise<ApiResponse<unknown>> {
  // Any body is the clear's answer (the docs show none): only what failed to arrive is checked.
  return checked(client.request('DELETE', `/${pathSegment(type)}/${enc(id)}/schedule`), () => undefined, 'The clear was sent; read it back with amps schedule get before sending it again');
}

/**
 * A schedule as a list shows it: an id the next command can carry (`amps schedules get ID`), its
 * device, its state, zone and next fire as text or none, and its slots when it lists them.
 */
const scheduleItemShape: Shape = (data) => {
  if (!isRecord(data) || typeof data.id !== 'string' || idProblem(data.id) || typeof data.deviceId !== 'string') return 'not a schedule';
  if (!['state', 'timezone', 'nextFireAt'].every((key) => data[key] === undefined || data[key] === null || typeof data[key] === 'string')) return 'not a schedule';
  return data.slots === undefined || (Array.isArray(data.slots) && data.slots.every(isSlot)) ? undefined : 'not a schedule';
};

export async function listSchedules(client: ApiClient, query: { limit?: number; offset?: number; deviceId?: string; state?: string; userId?: string }): Promise<ApiResponse<Page<ScheduleRecord>>> {
  return objectItems(await checked<Page<ScheduleRecord>>(client.request('GET', '/schedules', { query }), pageShape), scheduleItemShape);
}

export function getSchedule(client: ApiClient, id: string): Promise<ApiResponse<ScheduleRecord>> {
  return checked(client.request('GET', `/schedules/${enc(id)}`), about(scheduleShape, 'id', id));
}

export function createSchedule(client: ApiClient, body: unknown): Promise<ApiResponse<ScheduleRecord>> {
  return checked(client.request('POST', '/schedules', { body }), scheduleShape, 'The schedule was sent; amps schedules list --device ID shows it before sending it again');
}

/** Cancel: DELETE /schedules/{id}, inferred (the docs name no cancel route; docs/amps-api/gaps.md). */
export function cancelSchedule(client: ApiClient, id: string): Promise<ApiResponse<ScheduleRecord>> {
  return checked(client.request('DELETE', `/schedules/${enc(id)}`), about(scheduleShape, 'id', id), 'The cancel was sent; amps schedules get ID shows its state');
}
