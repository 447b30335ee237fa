// The Link UI URL an end user opens to (re-)link a device (docs/amps-api/contract.md §15):
// `https://auth.amps.ai/{appId}`, `deviceType` pre-selected, `externalUserRef` when it is an email
// (anything else the UI ignores, giving the user an anonymous id), `sandbox=true` for test keys.

import type { DeviceType } from '../contract/devices.js';
import { holdsKeyShape, redactKeyShapes } from '../contract/keys.js';

export const LINK_UI = 'https://auth.amps.ai';

/** An app id amps can put in a URL path: never an API key, which every re-link URL (sent to end users) would carry. */
export function appIdProblem(appId: string): string | undefined {
  if (holdsKeyShape(appId)) return `'${redactKeyShapes(appId).slice(0, 70)}' is not an app id: it is an API key (amps config set app-id takes the id of the app in the Amps dashboard)`;
  return /^[A-Za-z0-9_-]{1,64}$/.test(appId) ? undefined : `'${redactKeyShapes(appId).slice(0, 70)}' is not an app id (letters, digits, _ and -, at most 64)`;
}

/** The Link UI identifies a user by an email of 1-100 characters; anything else is ignored there. */
export function externalUserRefProblem(ref: string): string | undefined {
  // The URL goes to an end user: a key inside what was typed (a pasted secret) would go with it.
  if (holdsKeyShape(ref)) return 'holds what looks like an API key, so it is not put in a link (nor shown)';
  // The domain a host name's letters, digits and hyphens, label by label: `x.com&sandbox=false` or
  // `x.com#y` is no email, whatever the local part may hold.
  return ref.length >= 1 && ref.length <= 100 && /^[^\s@\p{C}]+@[\p{L}\p{N}-]+(\.[\p{L}\p{N}-]+)+$/u.test(ref) ? undefined : `'${ref.slice(0, 110)}' is not an email of at most 100 characters, which the Link UI needs to recognise the user`;
}

export function linkUrl(input: { appId: string; deviceType?: DeviceType; externalUserRef?: string; sandbox: boolean }): string {
  const url = new URL(`${LINK_UI}/${encodeURIComponent(input.appId)}`);
  if (input.deviceType) url.searchParams.set('deviceType', input.deviceType);
  if (input.externalUserRef) url.searchParams.set('externalUserRef', input.externalUserRef);
  if (input.sandbox) url.searchParams.set('sandbox', 'true');
  return url.toString();
}
