import { EXIT, type ExitCode } from '../contract/exit-codes.js';

// What a caller should do about an error, by class: amps' own words, shown as amps' (the docs' own
// "When to retry" row is quoted apart, as the catalogue's retryQuote). The error-codes page's retry
// table defines backoff, after_delay, resolve_conflict, relink, fix_request and once_then_escalate.
// Three codes the table leaves out have rows of their own that those classes would contradict:
// COMMAND_FAILED (`when_cleared`), BIND_NOT_SUPPORTED (`no_workaround`) and SCHEDULER_FULL
// (`free_a_slot`). `fix_api_key` is for the platform's own key errors, which no re-link can fix;
// `wait_for_action` for a CONFLICT with an action already dispatched, which no strategy replaces.
export type RetryClass =
  | 'backoff'
  | 'after_delay'
  | 'resolve_conflict'
  | 'wait_for_action'
  | 'free_a_slot'
  | 'relink'
  | 'fix_api_key'
  | 'fix_request'
  | 'when_cleared'
  | 'no_workaround'
  | 'once_then_escalate';

export interface RetryClassInfo {
  label: string;
  guidance: string;
  exitCode: ExitCode;
}

export const RETRY_CLASSES: Record<RetryClass, RetryClassInfo> = {
  backoff: {
    label: 'retry with backoff',
    guidance: 'Transient: retry with exponential backoff; honour Retry-After when the response carries it.',
    exitCode: EXIT.transient,
  },
  after_delay: {
    label: 'retry after a delay',
    guidance: 'Wait, then retry once the device is back online; push --retry waits 2.5 s or more before each resend (or what Retry-After says).',
    exitCode: EXIT.offline,
  },
  resolve_conflict: {
    label: 'resolve the conflict',
    guidance: 'Resolve the conflicting state (onConflict, or clear the controlling schedule or programme), then resubmit.',
    exitCode: EXIT.conflict,
  },
  wait_for_action: {
    label: 'wait, then push again',
    guidance: 'The action in the way is already dispatched: no onConflict strategy replaces it. Wait for it to finish (amps actions wait ID), then resubmit.',
    exitCode: EXIT.conflict,
  },
  free_a_slot: {
    label: 'free a schedule slot',
    guidance: 'Cancel an existing schedule, or have the end user clear rows in the manufacturer app, then resubmit; no onConflict strategy does this.',
    exitCode: EXIT.conflict,
  },
  relink: {
    label: 're-link the device',
    guidance: 'Do not retry: send the end user back through Link UI to re-link the device.',
    exitCode: EXIT.credentials,
  },
  fix_api_key: {
    label: 'fix the API key',
    guidance: 'Do not retry as is: check the API key, its environment and its permissions.',
    exitCode: EXIT.credentials,
  },
  fix_request: {
    label: 'fix the request',
    guidance: 'Do not retry as is: change the request body or target, then resubmit.',
    exitCode: EXIT.rejected,
  },
  when_cleared: {
    label: 'resubmit once the device\'s condition has cleared',
    guidance: 'Inspect the action for what the device flagged (amps actions get ID); resubmit once that has cleared.',
    exitCode: EXIT.rejected,
  },
  no_workaround: {
    label: 'do not retry',
    guidance: 'Do not retry: no change to the request, and no wait, makes this device accept it.',
    exitCode: EXIT.rejected,
  },
  once_then_escalate: {
    label: 'retry once, then escalate',
    guidance: 'Retry once; if it persists, escalate to Amps support quoting meta.requestId and meta.path.',
    exitCode: EXIT.unclassified,
  },
};
