// Typed calls, one per endpoint the commands use. Paths spell device types with hyphens.

import { pathSegment } from '../domain/device-types.js';
import type { ApiClient, ApiResponse } from './client.js';
import type { ActionRecord, Page } from '../contract/actions.js';
import type { DeviceType, DeviceRead } from '../contract/devices.js';

const enc = encodeURIComponent;

export function listDevices(client: ApiClient, type: DeviceType, query: { limit?: number; offset?: number; userId?: string }): Promise<ApiResponse<Page<DeviceRead>>> {
  return client.request('GET', `/${pathSegment(type)}`, { query });
}

export function getDevice(client: ApiClient, type: DeviceType, id: string, expedite = false): Promise<ApiResponse<DeviceRead>> {
  return client.request('GET', `/${pathSegment(type)}/${enc(id)}`, { query: expedite ? { expedite: true } : undefined });
}

export function pushAction(client: ApiClient, type: DeviceType, id: string, body: unknown, retries?: number): Promise<ApiResponse<ActionRecord>> {
  return client.request('POST', `/${pathSegment(type)}/${enc(id)}`, { body, retries });
}

export function updateSettings(client: ApiClient, type: DeviceType, id: string, body: Record<string, unknown>): Promise<ApiResponse<{ deviceId: string; updated: string[] }>> {
  return client.request('POST', `/${pathSegment(type)}/${enc(id)}/settings`, { body });
}

export function listActions(client: ApiClient, query: { deviceId?: string; state?: string; deviceType?: string; userId?: string; limit?: number; offset?: number }): Promise<ApiResponse<Page<ActionRecord>>> {
  return client.request('GET', '/actions', { query });
}

export function getAction(client: ApiClient, id: string): Promise<ApiResponse<ActionRecord>> {
  return client.request('GET', `/actions/${enc(id)}`);
}

export function cancelAction(client: ApiClient, id: string): Promise<ApiResponse<ActionRecord>> {
  return client.request('POST', `/actions/${enc(id)}/cancel`);
}
