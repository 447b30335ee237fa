import type { CatalogueEntry } from './catalogue.js';

// Every canonical code amps knows, as data. Messages are the API's own words, exact; a `{name}`
// placeholder stands where the API puts a value (matched as a wildcard by the decoder).
// `source: 'amps-docs'` entries come from the public Amps documentation (the manufacturer
// error-codes page and the error envelope, conflict and settings pages); `amps-cli` marks a code,
// variant or message that the docs leave out and that we decided (docs/amps-api/README.md,
// decisions 3-7), so the client and the sandbox agree on it.

const LINK_UI = 'Link UI';

// The docs' "When to retry" table (manufacturer-error-codes.txt), row by row, word for word.
const RETRY_TRANSPORT = 'Yes, with exponential backoff.';
const RETRY_OFFLINE = 'Yes, after a delay. The device is briefly unreachable.';
const RETRY_CONFLICT = 'Resolve via onConflict or by clearing the controlling state, then resubmit.';
const RETRY_AUTH = 'No. Re-link the device.';
const RETRY_COMMAND = 'No. Fix the request body.';
const RETRY_UNKNOWN = 'Once, then escalate with the requestId.';
// Only the codes a row names get its text as `retryQuote`. For a code on the page that the table
// does not name there is no quote: the class is ours, by the code's section, and the note says so.
const NOT_IN_RETRY_TABLE = 'The docs\' retry table does not list this code; its what-to-do ends in a re-link, so amps classes it with the authentication codes (exit 3).';
const NOT_IN_RETRY_TABLE_AUTH = 'The docs\' retry table does not list this code (its Auth row names INVALID_CREDENTIALS, MFA_REQUIRED, ACCOUNT_LOCKED and CREDENTIAL_NOT_FOUND). Its what-to-do sends the end user back through linking, so amps classes it with those: do not retry, re-link (exit 3).';
const NOT_IN_RETRY_TABLE_COMMAND = 'The docs\' retry table does not list this code (its Command row names COMMAND_NOT_SUPPORTED, INVALID_PARAMETERS and EXECUTION_NOT_SUPPORTED). The request itself has to change, so amps classes it with those: do not retry as is (exit 4).';

export const CATALOGUE_DATA: readonly CatalogueEntry[] = [
  // ── Platform: the API key ────────────────────────────────────────────────────────────────
  {
    code: 'UNAUTHORIZED', variant: 'no_key', http: 401, category: 'platform-auth', party: 'platform', retryClass: 'fix_api_key',
    message: 'No API key was supplied.', source: 'amps-docs', messageSource: 'amps-cli',
    whatToDo: 'Send the key in the x-api-key header (amps config set api-key, or AMPS_API_KEY). If 401s appear under load with a valid key, the platform is shedding bursts: back off and retry.',
    details: [], related: ['INVALID_API_KEY', 'EXPIRED_TOKEN', 'RATE_LIMIT_EXCEEDED'],
  },
  {
    code: 'UNAUTHORIZED', variant: 'burst', http: 401, category: 'rate-limit', party: 'platform', retryClass: 'backoff',
    message: 'Authentication failed', source: 'amps-docs',
    whatToDo: 'Under bursts the platform may reject a valid key with this 401. If the key works at other times, back off and retry.',
    details: [], related: ['RATE_LIMIT_EXCEEDED', 'UNAUTHORIZED'],
  },
  {
    code: 'INVALID_API_KEY', variant: 'platform', http: 401, category: 'platform-auth', party: 'platform', retryClass: 'fix_api_key',
    message: 'The API key is not valid.', source: 'amps-docs', messageSource: 'amps-cli',
    whatToDo: 'Your Amps key is unrecognised, malformed, revoked or deleted (a revoked key carries the revocation text instead of this message). Create or copy a key in the dashboard and set it with amps config set api-key.',
    details: [], related: ['UNAUTHORIZED', 'EXPIRED_TOKEN', 'INVALID_API_KEY'],
  },
  {
    code: 'EXPIRED_TOKEN', http: 401, category: 'platform-auth', party: 'platform', retryClass: 'fix_api_key',
    message: 'The API key has expired.', source: 'amps-docs', messageSource: 'amps-cli',
    whatToDo: 'The key is past its expiry. Issue a new key in the dashboard and configure it.',
    details: [], related: ['INVALID_API_KEY', 'UNAUTHORIZED'],
  },
  {
    code: 'RATE_LIMIT_EXCEEDED', http: 429, alsoHttp: [401], category: 'rate-limit', party: 'platform', retryClass: 'backoff',
    message: 'The API key has exceeded its rate limit.', source: 'amps-docs', messageSource: 'amps-cli',
    whatToDo: 'Slow down: wait for the Retry-After interval (details.retryAfterSeconds), then retry with backoff. Some API versions return this on the 401 path; treat it the same.',
    detailsSource: 'amps-cli',
    details: [{ name: 'retryAfterSeconds', description: 'seconds until the key may send again (decision 11: the docs document no details and no Retry-After for this code)' }],
    exampleDetails: { retryAfterSeconds: 1 },
    related: ['RATE_LIMITED', 'UNAUTHORIZED'],
  },
  {
    code: 'INSUFFICIENT_PERMISSIONS', http: 403, category: 'platform-auth', party: 'platform', retryClass: 'fix_api_key',
    message: 'The API key does not have permission for this operation.', source: 'amps-docs', messageSource: 'amps-cli',
    whatToDo: 'Use a key whose permissions cover this operation, or ask an account admin to grant them.',
    details: [], related: ['LIVE_ACCESS_DISABLED'],
  },
  {
    code: 'LIVE_ACCESS_DISABLED', http: 403, category: 'platform-auth', party: 'platform', retryClass: 'fix_api_key',
    message: 'Live access is not enabled for this account.', source: 'amps-docs', messageSource: 'amps-cli',
    whatToDo: 'A live key was used by an account not enabled for live traffic (the local sandbox serves sandbox keys only). Use a sandbox key, or ask Amps to enable live access.',
    details: [], related: ['INSUFFICIENT_PERMISSIONS'],
  },

  // ── Resources ────────────────────────────────────────────────────────────────────────────
  {
    code: 'DEVICE_NOT_FOUND', variant: 'platform', http: 404, category: 'resource', party: 'request', retryClass: 'fix_request',
    message: 'Device not found or access denied', source: 'amps-docs',
    whatToDo: 'No device with this id is visible to this key. Check the id and the device type (amps devices lists them) and that the key belongs to the right environment.',
    details: [], related: ['DEVICE_NOT_FOUND', 'NOT_FOUND'],
  },
  {
    code: 'NOT_FOUND', variant: 'schedule', http: 404, category: 'resource', party: 'request', retryClass: 'fix_request',
    message: 'Schedule not found or access denied.', source: 'amps-docs',
    whatToDo: 'The schedule id is unknown or belongs to another account; or, read through a device (/TYPE/ID/schedule), the device has no schedule now (none was set, it was cleared, or a one-off one has run).',
    details: [], related: ['DEVICE_NOT_FOUND'], paths: ['/schedules', '/*/*/schedule'],
  },
  {
    code: 'NOT_FOUND', variant: 'action', http: 404, category: 'resource', party: 'request', retryClass: 'fix_request',
    message: 'Action not found or access denied.', source: 'amps-cli',
    whatToDo: 'The action id is unknown or belongs to another account. amps actions list shows recent actions.',
    details: [], related: ['DEVICE_NOT_FOUND'], paths: ['/actions'],
  },
  {
    code: 'NOT_FOUND', variant: 'route', http: 404, category: 'request', party: 'request', retryClass: 'fix_request',
    message: 'No route matches this path.', source: 'amps-cli',
    whatToDo: 'The path is not part of the API. Check the device type spelling (battery, ev-charger, hvac, solar-inverter, vehicle) and the base URL.',
    details: [{ name: 'path', description: 'the path that matched no route' }],
    exampleDetails: { path: '/batteries' },
    related: ['METHOD_NOT_ALLOWED'], paths: ['/'],
  },

  // ── Conflicts (409) ──────────────────────────────────────────────────────────────────────
  {
    code: 'CONFLICT', variant: 'pending', http: 409, category: 'conflict', party: 'request', retryClass: 'resolve_conflict',
    message: 'A conflicting action is already pending for this device. Provide onConflict to resolve automatically, or cancel the existing action.',
    source: 'amps-docs',
    whatToDo: 'Another action is scheduled on this device. Resubmit with onConflict set to one of details.strategies (cancel_and_replace cancels it; queue_after starts yours when it ends), or cancel it first.',
    details: [
      { name: 'reason', description: '"no_strategy_supplied"' },
      { name: 'conflictingActionIds', description: 'ids of the pending actions in the way (always an array)' },
      { name: 'strategies', description: 'the onConflict values this device accepts' },
    ],
    exampleDetails: { reason: 'no_strategy_supplied', conflictingActionIds: ['act_0000000000000001'], strategies: ['cancel_and_replace', 'queue_after'] },
    related: ['ACTION_NOT_CANCELLABLE', 'SCHEDULER_ACTIVE'],
  },
  {
    code: 'CONFLICT', variant: 'in_flight', http: 409, category: 'conflict', party: 'request', retryClass: 'wait_for_action',
    message: 'The conflicting action is already in progress and cannot be cancelled. Wait for it to complete or fail.',
    source: 'amps-docs',
    whatToDo: 'The action in the way was already dispatched to the manufacturer; no strategy can replace it. Wait for it to reach a terminal state (amps actions wait ID), then push again.',
    details: [{ name: 'conflictingActionIds', description: 'ids of the in-flight actions' }],
    exampleDetails: { conflictingActionIds: ['act_0000000000000001'] },
    related: ['CONFLICT'],
  },
  {
    code: 'CONFLICT', variant: 'open_ended', http: 409, category: 'conflict', party: 'request', retryClass: 'resolve_conflict',
    message: 'The conflicting action has no end, so the new action cannot be queued after it.',
    source: 'amps-cli',
    whatToDo: 'queue_after needs the pending action to have an end. Use cancel_and_replace, or cancel the pending action first.',
    details: [
      { name: 'reason', description: '"open_ended"' },
      { name: 'conflictingActionIds', description: 'ids of the open-ended actions' },
      { name: 'strategies', description: 'strategies that can still resolve it' },
    ],
    exampleDetails: { reason: 'open_ended', conflictingActionIds: ['act_0000000000000001'], strategies: ['cancel_and_replace'] },
    related: ['CONFLICT'],
  },
  {
    code: 'ACTION_NOT_CANCELLABLE', http: 409, category: 'conflict', party: 'request', retryClass: 'resolve_conflict',
    message: "Action in state '{state}' cannot be cancelled", source: 'amps-docs',
    whatToDo: 'Only scheduled actions can be cancelled; Amps never recalls a command already dispatched. Push a new command to change what the device does.',
    detailsSource: 'amps-cli',
    details: [{ name: 'state', description: 'the action\'s current state (the docs show none: the state is in the message)' }],
    exampleDetails: { state: 'acknowledged' },
    related: ['CONFLICT'],
  },

  // ── Request validation against capabilities (422) ───────────────────────────────────────
  {
    code: 'UNSUPPORTED_MODE', http: 422, category: 'validation', party: 'request', retryClass: 'fix_request',
    message: 'The command is not supported by this device.', source: 'amps-docs', messageSource: 'amps-cli',
    whatToDo: 'Pick a command from the device\'s commands map (amps get TYPE ID).',
    details: [
      { name: 'command', description: 'the command that was sent', ampsName: true },
      { name: 'deviceCapabilities.supportedModes', description: 'the commands this device supports' },
    ],
    exampleDetails: { command: 'auto.export', deviceCapabilities: { supportedModes: ['charge', 'discharge', 'idle'] } },
    related: ['UNSUPPORTED_PARAMETER', 'COMMAND_NOT_SUPPORTED'],
  },
  {
    code: 'UNSUPPORTED_PARAMETER', http: 422, category: 'validation', party: 'request', retryClass: 'fix_request',
    message: 'One or more parameters are not supported for this command on this device.', source: 'amps-docs', messageSource: 'amps-cli',
    whatToDo: 'Drop the parameters the command does not declare; the supported ones are in details.deviceCapabilities.',
    details: [
      { name: 'unsupportedParameters', description: 'the parameters the device does not declare for the command' },
      { name: 'deviceCapabilities.supportedParameters', description: 'the parameters it does declare', ampsName: true },
    ],
    exampleDetails: { unsupportedParameters: ['reserve'], deviceCapabilities: { supportedParameters: ['power', 'target'] } },
    related: ['UNSUPPORTED_MODE', 'UNSUPPORTED_UNIT'],
  },
  {
    code: 'UNSUPPORTED_UNIT', http: 422, category: 'validation', party: 'request', retryClass: 'fix_request',
    message: 'Parameter `{parameter}` unit `{providedUnit}` is not supported. Expected `{supportedUnits}`.', source: 'amps-docs',
    whatToDo: 'Send the parameter in one of details.supportedUnits.',
    details: [
      { name: 'parameter', description: 'the parameter or setting' },
      { name: 'providedUnit', description: 'the unit that was sent' },
      { name: 'supportedUnits', description: 'the units the device accepts for it' },
    ],
    exampleDetails: { parameter: 'power', providedUnit: 'percent', supportedUnits: ['kw'] },
    related: ['PARAMETER_OUT_OF_RANGE', 'UNSUPPORTED_PARAMETER'],
  },
  {
    code: 'PARAMETER_OUT_OF_RANGE', http: 422, category: 'validation', party: 'request', retryClass: 'fix_request',
    message: 'A parameter value is outside the range the device supports.', source: 'amps-docs', messageSource: 'amps-cli',
    whatToDo: 'Send a value between details.min and details.max.',
    details: [
      { name: 'parameter', description: 'the parameter' },
      { name: 'value', description: 'the value sent' },
      { name: 'min', description: 'the device\'s lower bound' },
      { name: 'max', description: 'the device\'s upper bound' },
      { name: 'unit', description: 'the unit of the bounds' },
    ],
    exampleDetails: { parameter: 'power', value: 9, min: 0, max: 5, unit: 'kw' },
    related: ['UNSUPPORTED_UNIT', 'SETTING_OUT_OF_RANGE'],
  },
  {
    code: 'EXECUTION_NOT_SUPPORTED', http: 422, category: 'command', party: 'request', retryClass: 'fix_request',
    message: 'The requested execution mode is not supported for this device.', source: 'amps-docs', docsPage: 'error-codes',
    whatToDo: 'The request shape (immediate, scheduled, or windowed) is not in the command’s execution array. Pick a supported shape.',
    retryQuote: RETRY_COMMAND,
    details: [
      { name: 'requestedExecution', description: 'immediate, scheduled or windowed' },
      { name: 'supportedExecution', description: 'the shapes the command supports on this device' },
    ],
    exampleDetails: { requestedExecution: 'windowed', supportedExecution: ['immediate', 'scheduled'] },
    related: ['INVALID_TIME_WINDOW', 'START_IN_PAST'],
  },
  {
    code: 'START_IN_PAST', http: 422, category: 'validation', party: 'request', retryClass: 'fix_request',
    message: 'The start time is in the past.', source: 'amps-docs', messageSource: 'amps-cli',
    whatToDo: 'Send a start in the future, or omit start for an immediate command.',
    detailsSource: 'amps-cli',
    details: [
      { name: 'start', description: 'the start the request resolved to (UTC)' },
      { name: 'now', description: 'the server time it was compared with' },
    ],
    exampleDetails: { start: '2026-01-01T00:00:00.000Z', now: '2026-01-01T00:05:00.000Z' },
    related: ['START_OUT_OF_RANGE', 'INVALID_TIME_WINDOW'],
  },
  {
    code: 'START_OUT_OF_RANGE', http: 422, category: 'validation', party: 'request', retryClass: 'fix_request',
    message: 'The start time is beyond the 30-day scheduling horizon.', source: 'amps-docs', messageSource: 'amps-cli',
    whatToDo: 'Schedule no more than 30 days ahead.',
    detailsSource: 'amps-cli',
    details: [
      { name: 'start', description: 'the start the request resolved to (UTC)' },
      { name: 'maxStart', description: 'the latest accepted start' },
    ],
    exampleDetails: { start: '2026-03-01T00:00:00.000Z', maxStart: '2026-01-31T00:00:00.000Z' },
    related: ['START_IN_PAST'],
  },
  {
    code: 'INVALID_TIME_WINDOW', http: 422, category: 'command', party: 'request', retryClass: 'fix_request',
    message: 'The requested time window is invalid.', source: 'amps-docs', docsPage: 'error-codes',
    whatToDo: 'The start/end pair violates the time-window contract. Inspect error.details.reason for the specific issue.',
    note: 'The docs\' retry table does not list this code; the start/end pair has to change, so amps classes it as fix-the-request (exit 4). The docs do not list the reasons. amps and its sandbox use end_without_start, end_not_after_start and unparseable_time; the local sandbox adds window_too_short (under 5 minutes) and window_too_long (over 24 hours) as its own policy (details.policy says so), which the real API may not have, so the client never checks them.',
    details: [
      { name: 'reason', description: 'the docs name the field, not its values; amps and its sandbox use end_without_start | end_not_after_start | unparseable_time, and the local sandbox also window_too_short | window_too_long' },
      { name: 'policy', description: 'set by the local sandbox on a rule of its own, not the docs\'', ampsName: true },
      { name: 'start', description: 'the start as sent or resolved', ampsName: true },
      { name: 'end', description: 'the end as sent or resolved', ampsName: true },
    ],
    exampleDetails: { reason: 'end_not_after_start', start: '2026-01-01T22:00:00.000Z', end: '2026-01-01T21:00:00.000Z' },
    related: ['START_IN_PAST', 'EXECUTION_NOT_SUPPORTED'],
  },
  {
    code: 'DIRECT_ACTION_UNSUPPORTED', http: 422, category: 'validation', party: 'request', retryClass: 'fix_request',
    message: 'This device type does not accept direct actions.', source: 'amps-docs', messageSource: 'amps-cli',
    whatToDo: 'Solar inverters and vehicles are read-only families: read them, do not push to them.',
    detailsSource: 'amps-cli',
    details: [{ name: 'deviceType', description: 'the read-only device type' }],
    exampleDetails: { deviceType: 'solar_inverter' },
    related: ['UNSUPPORTED_MODE'],
  },
  {
    code: 'COMMAND_NOT_SUPPORTED', variant: 'platform', http: 422, category: 'validation', party: 'platform', retryClass: 'fix_request',
    message: 'This command is not yet available for this device type in the live environment.', source: 'amps-docs', messageSource: 'amps-cli',
    whatToDo: 'The platform has not opened this command live yet (EV-charger and HVAC pushes today). It works in the sandbox; use a supported command live.',
    details: [], related: ['COMMAND_NOT_SUPPORTED', 'UNSUPPORTED_MODE'],
  },
  {
    code: 'UNSUPPORTED_SETTING', http: 422, category: 'validation', party: 'request', retryClass: 'fix_request',
    message: 'One or more settings are not supported by this device.', source: 'amps-docs', messageSource: 'amps-cli',
    whatToDo: 'Drop the keys that are not in the device\'s settings map (amps settings TYPE ID lists them).',
    detailsSource: 'amps-cli',
    details: [
      { name: 'unsupportedSettings', description: 'the keys the device does not declare' },
      { name: 'supportedSettings', description: 'the keys it does declare' },
    ],
    exampleDetails: { unsupportedSettings: ['boost'], supportedSettings: ['safety_reserve', 'charge_ceiling'] },
    related: ['READ_ONLY_SETTING', 'SETTING_OUT_OF_RANGE', 'UNKNOWN_SETTING'],
  },
  {
    code: 'READ_ONLY_SETTING', http: 422, category: 'validation', party: 'request', retryClass: 'fix_request',
    message: 'One or more settings are read-only.', source: 'amps-docs', messageSource: 'amps-cli',
    whatToDo: 'The setting can be read but not written through Amps; drop it from the request.',
    detailsSource: 'amps-cli',
    details: [{ name: 'settings', description: 'the read-only keys that were sent' }],
    exampleDetails: { settings: ['scheduler_enabled'] },
    related: ['UNSUPPORTED_SETTING'],
  },
  {
    code: 'SETTING_OUT_OF_RANGE', http: 422, category: 'validation', party: 'request', retryClass: 'fix_request',
    message: 'A setting value is outside the range the device supports.', source: 'amps-docs', messageSource: 'amps-cli',
    whatToDo: 'Send a value between details.min and details.max (the status is not documented; the sandbox answers 422).',
    detailsSource: 'amps-cli',
    details: [
      { name: 'setting', description: 'the setting' },
      { name: 'value', description: 'the value sent' },
      { name: 'min', description: 'lower bound' },
      { name: 'max', description: 'upper bound' },
      { name: 'unit', description: 'unit of the bounds' },
    ],
    exampleDetails: { setting: 'max_charge_rate', value: 80, min: 0, max: 50, unit: 'kw' },
    related: ['PARAMETER_OUT_OF_RANGE', 'UNSUPPORTED_SETTING'],
  },

  // ── Request validation (400/405/413), ours (decision 5) ─────────────────────────────────
  {
    code: 'INVALID_JSON', http: 400, category: 'request', party: 'request', retryClass: 'fix_request',
    message: 'The request body is not valid JSON.', source: 'amps-cli',
    whatToDo: 'Send a well-formed JSON body (check quoting if the body was built by a shell script).',
    details: [{ name: 'position', description: 'character offset where parsing failed, when known' }],
    exampleDetails: { position: 17 },
    related: ['VALIDATION_ERROR'],
  },
  {
    code: 'VALIDATION_ERROR', http: 400, category: 'request', party: 'request', retryClass: 'fix_request',
    message: 'The request body does not match the canonical schema.', source: 'amps-cli',
    whatToDo: 'Fix each field listed in details.fields. Every key sent is validated: unknown keys are rejected, not dropped.',
    details: [{ name: 'fields', description: 'a list of {path, problem}' }],
    exampleDetails: { fields: [{ path: 'action.parameters.power', problem: 'must be a Quantity {value, unit}' }] },
    related: ['INVALID_JSON'],
  },
  {
    code: 'METHOD_NOT_ALLOWED', http: 405, category: 'request', party: 'request', retryClass: 'fix_request',
    message: 'The method is not allowed on this path.', source: 'amps-cli',
    whatToDo: 'Use one of the methods in details.allowed (also in the Allow header).',
    details: [{ name: 'allowed', description: 'the methods the path accepts' }],
    exampleDetails: { allowed: ['GET', 'POST'] },
    related: ['NOT_FOUND'],
  },
  {
    code: 'PAYLOAD_TOO_LARGE', http: 413, category: 'request', party: 'request', retryClass: 'fix_request',
    message: 'The request body exceeds 1 MiB.', source: 'amps-cli',
    whatToDo: 'Send a smaller body; no single request needs more than a few kilobytes.',
    details: [{ name: 'limitBytes', description: 'the largest accepted body' }],
    exampleDetails: { limitBytes: 1048576 },
    related: ['INVALID_JSON'],
  },

  // ── Server ───────────────────────────────────────────────────────────────────────────────
  {
    code: 'INTERNAL_ERROR', http: 500, category: 'server', party: 'platform', retryClass: 'once_then_escalate',
    message: 'An internal error occurred.', source: 'amps-docs', messageSource: 'amps-cli',
    whatToDo: 'A platform failure. Retry once; if it persists, escalate with meta.requestId and meta.path.',
    details: [], related: ['UNKNOWN_ERROR'],
  },
  {
    code: 'NOT_IMPLEMENTED', http: 501, category: 'server', party: 'platform', retryClass: 'fix_request',
    message: 'Schedule listing is not yet implemented.', source: 'amps-docs',
    whatToDo: 'The endpoint is documented but not live yet. Read schedules one at a time by id.',
    details: [], related: ['NOT_FOUND'],
  },

  // ── Manufacturer: authentication and account ─────────────────────────────────────────────
  {
    code: 'INVALID_CREDENTIALS', http: 401, category: 'manufacturer-auth', party: 'manufacturer', retryClass: 'relink',
    message: 'The device manufacturer rejected the supplied credentials.', source: 'amps-docs', docsPage: 'error-codes',
    whatToDo: `Send the end user back through ${LINK_UI} to re-authenticate.`,
    retryQuote: RETRY_AUTH,
    details: [], related: ['INVALID_API_KEY', 'CREDENTIAL_NOT_FOUND'],
  },
  {
    code: 'INVALID_API_KEY', variant: 'manufacturer', http: 401, category: 'manufacturer-auth', party: 'manufacturer', retryClass: 'relink',
    message: 'The device manufacturer rejected the supplied API key.', source: 'amps-docs', docsPage: 'error-codes',
    whatToDo: `The end user’s manufacturer key has been revoked or rotated. Capture a new one via ${LINK_UI}.`,
    note: NOT_IN_RETRY_TABLE_AUTH,
    details: [], related: ['INVALID_CREDENTIALS', 'INVALID_API_KEY'],
  },
  {
    code: 'INVALID_MFA_CODE', http: 403, category: 'manufacturer-auth', party: 'manufacturer', retryClass: 'relink',
    message: 'The multi-factor authentication code was not accepted.', source: 'amps-docs', docsPage: 'error-codes',
    whatToDo: 'The code expired or was wrong. Restart the linking flow.',
    note: NOT_IN_RETRY_TABLE_AUTH,
    details: [], related: ['MFA_REQUIRED'],
  },
  {
    code: 'MFA_REQUIRED', http: 403, category: 'manufacturer-auth', party: 'manufacturer', retryClass: 'relink',
    message: 'The device manufacturer requires multi-factor authentication.', source: 'amps-docs', docsPage: 'error-codes',
    whatToDo: 'Restart the linking flow so the end user can complete MFA.',
    retryQuote: RETRY_AUTH,
    details: [], related: ['INVALID_MFA_CODE'],
  },
  {
    code: 'ACCOUNT_LOCKED', http: 403, category: 'manufacturer-auth', party: 'manufacturer', retryClass: 'relink',
    message: 'The manufacturer account is locked.', source: 'amps-docs', docsPage: 'error-codes',
    whatToDo: 'The end user must unlock the account directly with the manufacturer before re-linking.',
    retryQuote: RETRY_AUTH,
    details: [], related: ['INVALID_CREDENTIALS'],
  },
  {
    code: 'UNSUPPORTED_CREDENTIAL_TYPE', http: 400, category: 'manufacturer-auth', party: 'manufacturer', retryClass: 'relink',
    message: 'The supplied credential type is not supported for this device.', source: 'amps-docs', docsPage: 'error-codes',
    whatToDo: `The credential captured during linking does not match what this manufacturer accepts. Re-run ${LINK_UI} for the device.`,
    note: NOT_IN_RETRY_TABLE_AUTH,
    details: [], related: ['UNSUPPORTED_AUTH_PATH'],
  },
  {
    code: 'UNSUPPORTED_AUTH_PATH', http: 400, category: 'manufacturer-auth', party: 'manufacturer', retryClass: 'relink',
    message: 'The requested authentication method is not supported.', source: 'amps-docs', docsPage: 'error-codes',
    whatToDo: `The auth method the link flow tried is not enabled for this manufacturer. Re-run ${LINK_UI}.`,
    note: NOT_IN_RETRY_TABLE_AUTH,
    details: [], related: ['UNSUPPORTED_CREDENTIAL_TYPE'],
  },
  {
    code: 'CREDENTIAL_NOT_FOUND', http: 404, category: 'manufacturer-auth', party: 'manufacturer', retryClass: 'relink',
    message: 'No stored credential was found for this device.', source: 'amps-docs', docsPage: 'error-codes',
    whatToDo: `The link record is missing. Re-link the device through ${LINK_UI}.`,
    retryQuote: RETRY_AUTH,
    details: [], related: ['INVALID_CREDENTIALS'],
  },

  // ── Manufacturer: device discovery ───────────────────────────────────────────────────────
  {
    code: 'DEVICE_NOT_FOUND', variant: 'manufacturer', http: 404, category: 'discovery', party: 'manufacturer', retryClass: 'relink',
    message: 'No matching device was found for the supplied details.', source: 'amps-docs', docsPage: 'error-codes',
    whatToDo: 'The manufacturer no longer recognises this device, often because it was removed from the end user’s account. Re-link to refresh.',
    note: NOT_IN_RETRY_TABLE,
    details: [], related: ['NO_DEVICES_FOUND', 'DEVICE_NOT_FOUND'],
  },
  {
    code: 'NO_DEVICES_FOUND', http: 404, category: 'discovery', party: 'manufacturer', retryClass: 'relink',
    message: 'No devices were found on the manufacturer account.', source: 'amps-docs', docsPage: 'error-codes',
    whatToDo: 'The linked account has no devices the manufacturer is willing to share. Check the end user’s manufacturer app, then re-link.',
    note: NOT_IN_RETRY_TABLE,
    details: [], related: ['DEVICE_NOT_FOUND'],
  },
  {
    code: 'DEVICE_OFFLINE', http: 410, category: 'discovery', party: 'manufacturer', retryClass: 'after_delay',
    message: 'The device is currently offline at the manufacturer.', source: 'amps-docs', docsPage: 'error-codes',
    whatToDo: 'Transient. The device has lost its connection to the manufacturer cloud. Retry once the device is back online.',
    retryQuote: RETRY_OFFLINE,
    details: [], exampleDetails: {}, related: ['NETWORK_ERROR', 'TIMEOUT'],
  },
  {
    code: 'DEVICE_UNAUTHORIZED', http: 403, category: 'discovery', party: 'manufacturer', retryClass: 'relink',
    message: 'The account is not authorised to control this device.', source: 'amps-docs', docsPage: 'error-codes',
    whatToDo: 'The end user can read the device but cannot send commands. They must grant control in the manufacturer app, then re-link.',
    note: NOT_IN_RETRY_TABLE,
    details: [], related: ['INSUFFICIENT_PERMISSIONS'],
  },

  // ── Manufacturer: command and parameter ──────────────────────────────────────────────────
  {
    code: 'COMMAND_FAILED', http: 400, category: 'command', party: 'manufacturer', retryClass: 'when_cleared',
    message: 'The device manufacturer could not complete the command.', source: 'amps-docs', docsPage: 'error-codes',
    whatToDo: 'The manufacturer accepted the request and then could not carry it out. Inspect the action and retry once any condition the device flagged has cleared.',
    note: 'The docs\' retry table does not list this code; its row says to retry once the flagged condition has cleared, which is amps\' advice too. It exits 4 with the other codes of its section, and no --retry resends it: only the action says when the condition has cleared.',
    detailsSource: 'amps-cli',
    details: [{ name: 'condition', description: 'what the device flagged, when the manufacturer says' }],
    exampleDetails: { condition: 'battery_temperature_high' },
    related: ['INVALID_OEM_PARAMETERS'],
  },
  {
    code: 'COMMAND_NOT_SUPPORTED', variant: 'manufacturer', http: 400, category: 'command', party: 'manufacturer', retryClass: 'fix_request',
    message: 'The device manufacturer does not support this command.', source: 'amps-docs', docsPage: 'error-codes',
    whatToDo: 'This command is not available on the device today. Pick another command from the device’s commands map.',
    retryQuote: RETRY_COMMAND,
    detailsSource: 'amps-cli',
    details: [
      { name: 'command', description: 'the command sent' },
      { name: 'supportedCommands', description: 'the commands the device supports today' },
    ],
    exampleDetails: { command: 'discharge', supportedCommands: ['charge', 'idle'] },
    related: ['UNSUPPORTED_MODE', 'COMMAND_NOT_SUPPORTED'],
  },
  {
    code: 'BIND_NOT_SUPPORTED', http: 400, category: 'command', party: 'manufacturer', retryClass: 'no_workaround',
    message: 'The device manufacturer does not support linking this device.', source: 'amps-docs', docsPage: 'error-codes',
    whatToDo: 'The end user’s device cannot be linked to a third-party API. There is no workaround inside Amps.',
    note: 'The docs\' retry table does not list this code; its row says there is no workaround inside Amps, so amps advises no retry and no change to the request. It exits 4 with the other codes of its section, and no --retry resends it.',
    details: [], related: ['DEVICE_UNAUTHORIZED'],
  },
  {
    code: 'UNKNOWN_SETTING', http: 400, category: 'command', party: 'manufacturer', retryClass: 'fix_request',
    message: 'One or more settings are not recognised for this device.', source: 'amps-docs', docsPage: 'error-codes',
    whatToDo: 'A setting key in the request body is not valid for this device. Check the device’s settings map and drop unknown keys.',
    note: NOT_IN_RETRY_TABLE_COMMAND,
    detailsSource: 'amps-cli',
    details: [
      { name: 'settings', description: 'the keys the manufacturer does not recognise' },
      { name: 'supportedSettings', description: 'the device\'s setting keys' },
    ],
    exampleDetails: { settings: ['eco_mode'], supportedSettings: ['safety_reserve', 'export_limit'] },
    related: ['UNSUPPORTED_SETTING'],
  },
  {
    code: 'INVALID_PARAMETERS', http: 400, category: 'command', party: 'manufacturer', retryClass: 'fix_request',
    message: 'One or more request parameters were invalid.', source: 'amps-docs', docsPage: 'error-codes',
    whatToDo: 'A request parameter failed the manufacturer’s own validation. Fix the value and resubmit.',
    retryQuote: RETRY_COMMAND,
    detailsSource: 'amps-cli',
    details: [
      { name: 'parameter', description: 'the parameter' },
      { name: 'value', description: 'the value sent' },
      { name: 'supported', description: 'what the manufacturer accepts for it' },
    ],
    exampleDetails: { parameter: 'mode', value: 'turbo', supported: ['charge', 'discharge', 'idle'] },
    related: ['INVALID_OEM_PARAMETERS', 'PARAMETER_OUT_OF_RANGE'],
  },
  {
    code: 'INVALID_OEM_PARAMETERS', http: 400, category: 'command', party: 'manufacturer', retryClass: 'fix_request',
    message: 'One or more request parameters were rejected by the device manufacturer.', source: 'amps-docs', docsPage: 'error-codes',
    whatToDo: 'The manufacturer rejected a value that passed the API’s own validation. Check the device’s capability bounds and resubmit.',
    note: NOT_IN_RETRY_TABLE_COMMAND,
    detailsSource: 'amps-cli',
    details: [
      { name: 'parameter', description: 'the parameter' },
      { name: 'value', description: 'the value sent' },
      { name: 'min', description: 'the manufacturer\'s lower bound' },
      { name: 'max', description: 'the manufacturer\'s upper bound' },
      { name: 'unit', description: 'the unit of the bounds' },
    ],
    exampleDetails: { parameter: 'power', value: 4.8, min: 0, max: 4.6, unit: 'kw' },
    related: ['INVALID_PARAMETERS'],
  },

  // ── Manufacturer: state conflict ─────────────────────────────────────────────────────────
  {
    code: 'SCHEDULER_ACTIVE', http: 409, category: 'conflict', party: 'manufacturer', retryClass: 'resolve_conflict', strategies: ['cancel_and_replace'],
    message: 'A schedule is currently active on the device and must be cleared first.', source: 'amps-docs', docsPage: 'error-codes',
    alsoMessages: ['Native scheduler is active; clear it before issuing a direct command.'],
    whatToDo: 'Resubmit with onConflict: cancel_and_replace to clear the conflicting schedule rows. error.details.recoveryStrategies lists the strategies the platform supports for this device. See conflict resolution.',
    retryQuote: RETRY_CONFLICT,
    note: 'At a terminal amps offers exactly the strategies in details.recoveryStrategies and confirms before clearing anything; without one it prints the command that resubmits with --on-conflict cancel_and_replace. An answer that offers no strategy amps can send (an empty list) gets neither: amps says to have the schedule cleared on the device.',
    details: [
      { name: 'reason', description: '"foreign_schedule_overlap"' },
      { name: 'description', description: 'what the platform found' },
      { name: 'overlappingGroups', description: 'the manufacturer schedule rows in the way: {groupId, start, end, mode, source}' },
      { name: 'existingGroupCount', description: 'how many rows the manufacturer scheduler holds in all' },
      { name: 'recoveryStrategies', description: 'the onConflict values that clear it' },
      { name: 'detectedAt', description: 'when the platform read the scheduler' },
    ],
    exampleDetails: {
      reason: 'foreign_schedule_overlap',
      description: 'The manufacturer scheduler holds rows that overlap the requested execution.',
      overlappingGroups: [{ groupId: 'grp_homeapp_1', start: '2026-01-01T16:00:00.000Z', end: '2026-01-01T19:00:00.000Z', mode: 'discharge', source: 'homeowner_app' }],
      existingGroupCount: 2,
      recoveryStrategies: ['cancel_and_replace'],
      detectedAt: '2026-01-01T12:00:00.000Z',
    },
    related: ['SCHEDULER_FULL', 'MODE_OVERRIDDEN', 'CONFLICT'],
  },
  {
    code: 'SCHEDULER_FULL', http: 409, category: 'conflict', party: 'manufacturer', retryClass: 'free_a_slot',
    message: 'The device schedule is full.', source: 'amps-docs', docsPage: 'error-codes',
    whatToDo: 'The merged schedule would exceed the manufacturer’s slot limit. Cancel an existing schedule or ask the end user to clear rows from the manufacturer app.',
    note: 'The docs\' retry table does not list this code (its state-conflict row, which points to onConflict, names SCHEDULER_ACTIVE, MODE_OVERRIDDEN and VPP_LOCKED). Its row says to cancel a schedule or clear rows, which onConflict does not do, and so does amps\' advice. It exits 5 with the other 409s, and amps offers a strategy only when the response lists one.',
    detailsSource: 'amps-cli',
    details: [
      { name: 'slotLimit', description: 'the manufacturer\'s slot limit' },
      { name: 'existingGroupCount', description: 'rows already held' },
    ],
    exampleDetails: { slotLimit: 6, existingGroupCount: 6 },
    related: ['SCHEDULER_ACTIVE'],
  },
  {
    code: 'MODE_OVERRIDDEN', http: 409, category: 'conflict', party: 'manufacturer', retryClass: 'resolve_conflict',
    message: 'The device is in a state that overrides the requested mode. Clear the controlling schedule or override first.',
    source: 'amps-docs', docsPage: 'error-codes',
    whatToDo: 'Another active mode or schedule on the device is dominant. Clear it before the command will take effect.',
    retryQuote: RETRY_CONFLICT,
    note: 'The docs\' two texts differ: the retry table groups this code with SCHEDULER_ACTIVE (resolve via onConflict), its row says to clear the override. amps follows the response: it offers onConflict when details.recoveryStrategies lists a strategy (a schedule the platform can clear), and otherwise says to clear the override first.',
    detailsSource: 'amps-cli',
    details: [{ name: 'overridingMode', description: 'the mode in control, when the manufacturer says' }],
    exampleDetails: { overridingMode: 'manual_override' },
    related: ['SCHEDULER_ACTIVE', 'VPP_LOCKED'],
  },
  {
    code: 'VPP_LOCKED', http: 409, category: 'conflict', party: 'manufacturer', retryClass: 'resolve_conflict',
    message: 'The device is currently locked by another control programme and cannot accept this command.',
    source: 'amps-docs', docsPage: 'error-codes',
    whatToDo: 'The device has been enlisted in a manufacturer-side virtual-power-plant or aggregator programme that takes precedence. The end user must opt out at the manufacturer before Amps can write.',
    retryQuote: RETRY_CONFLICT,
    note: 'The docs\' retry table groups this code with SCHEDULER_ACTIVE (resolve via onConflict); its row says the end user must opt out. amps offers a strategy only when the response lists one.',
    detailsSource: 'amps-cli',
    details: [{ name: 'programme', description: 'the programme holding the device, when known' }],
    exampleDetails: { programme: 'grid_services_vpp' },
    related: ['MODE_OVERRIDDEN'],
  },

  // ── Manufacturer: transport and capacity ─────────────────────────────────────────────────
  {
    code: 'NETWORK_ERROR', http: 502, category: 'transport', party: 'manufacturer', retryClass: 'backoff',
    message: 'The device manufacturer could not be reached.', source: 'amps-docs', docsPage: 'error-codes',
    whatToDo: 'A transport-level failure between the platform and the manufacturer cloud. Retry.',
    retryQuote: RETRY_TRANSPORT,
    details: [], related: ['SERVICE_UNAVAILABLE', 'TIMEOUT'],
  },
  {
    code: 'RATE_LIMITED', http: 429, category: 'transport', party: 'manufacturer', retryClass: 'backoff',
    message: 'The device manufacturer is rate limiting requests. Please try again shortly.', source: 'amps-docs', docsPage: 'error-codes',
    whatToDo: 'The manufacturer’s per-account or per-device limit was hit. Back off and retry.',
    retryQuote: RETRY_TRANSPORT,
    detailsSource: 'amps-cli',
    details: [{ name: 'retryAfterSeconds', description: 'the manufacturer\'s reported retry window, when given' }],
    exampleDetails: { retryAfterSeconds: 30 },
    related: ['RATE_LIMIT_EXCEEDED'],
  },
  {
    code: 'SERVICE_UNAVAILABLE', http: 503, category: 'transport', party: 'manufacturer', retryClass: 'backoff',
    message: 'The device manufacturer service is temporarily unavailable.', source: 'amps-docs', docsPage: 'error-codes',
    whatToDo: 'The manufacturer cloud is down or refusing requests. Retry with backoff.',
    retryQuote: RETRY_TRANSPORT,
    details: [], related: ['NETWORK_ERROR'],
  },
  {
    code: 'TIMEOUT', http: 504, category: 'transport', party: 'manufacturer', retryClass: 'backoff',
    message: 'The device manufacturer did not respond in time.', source: 'amps-docs', docsPage: 'error-codes',
    whatToDo: 'The manufacturer accepted the request but did not respond before the API’s timeout. Retry.',
    retryQuote: RETRY_TRANSPORT,
    note: 'amps retries reads after TIMEOUT, and resends a push only when you pass --retry, with backoff, as the table says. The manufacturer accepted the first, so it may still run: with --retry, look at amps actions list --device ID afterwards; without it, look before pushing again.',
    details: [], related: ['NETWORK_ERROR'],
  },
  {
    code: 'SIMULATED_FAILURE', http: 503, category: 'transport', party: 'platform', retryClass: 'backoff',
    message: 'Simulated failure (sandbox).', source: 'amps-docs', docsPage: 'error-codes',
    whatToDo: 'Reached only in sandbox via sandbox: { result: "failed", errorCode }. Used to exercise error-handling without touching a real device.',
    note: 'The docs\' retry table does not list this code. It sits with the transport codes on the page, so amps classes it with them: retry with backoff (exit 6). It comes only from the sandbox directive in the push body, so resending the same body fails the same way.',
    details: [], related: ['SERVICE_UNAVAILABLE'],
  },
  {
    code: 'UNKNOWN_ERROR', http: 500, category: 'transport', party: 'manufacturer', retryClass: 'once_then_escalate',
    message: 'The device manufacturer rejected the request.', source: 'amps-docs', docsPage: 'error-codes',
    whatToDo: 'The manufacturer responded with a state the platform does not yet have a stable code for. meta.requestId ties the request to platform logs; surface it when escalating.',
    retryQuote: RETRY_UNKNOWN,
    details: [], related: ['INTERNAL_ERROR'],
  },
];
