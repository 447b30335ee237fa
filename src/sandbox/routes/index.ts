// The route table: one file a resource, so new endpoints add files rather than growing one.

import { decodeSegment, type Handler, type Route } from '../http.js';
import { ACTION_ROUTES } from './actions.js';
import { CONTROL_ROUTES } from './controls.js';
import { DEVICE_ROUTES } from './devices.js';
import { SCHEDULE_ROUTES } from './schedules.js';

const ROUTES: Route[] = [...SCHEDULE_ROUTES, ...DEVICE_ROUTES, ...ACTION_ROUTES, ...CONTROL_ROUTES];

export function route(method: string, path: string): { handler?: Handler; params: string[]; allowed?: string[] } {
  for (const candidate of ROUTES) {
    const match = candidate.pattern.exec(path);
    if (!match) continue;
    const handler = candidate.methods[method];
    return handler ? { handler, params: match.slice(1).map(decodeSegment) } : { params: [], allowed: Object.keys(candidate.methods) };
  }
  // A settings path on a family without settings is a route that does not exist.
  return { params: [] };
}
