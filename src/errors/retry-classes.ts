import { EXIT, type ExitCode } from '../contract/exit-codes.js';

// What a caller should do about an error, by class. The manufacturer error-codes page defines the
// first six; `fix_api_key` is ours, for the platform's own key errors, which no re-link can fix.
export type RetryClass =
  | 'backoff'
  | 'after_delay'
  | 'resolve_conflict'
  | 'relink'
  | 'fix_api_key'
  | 'fix_request'
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
    guidance: 'The device is briefly unreachable: retry once it is back online, minutes rather than seconds.',
    exitCode: EXIT.offline,
  },
  resolve_conflict: {
    label: 'resolve the conflict',
    guidance: 'Resolve the conflicting state (onConflict, or clear the controlling schedule or programme), then resubmit.',
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
  once_then_escalate: {
    label: 'retry once, then escalate',
    guidance: 'Retry once; if it persists, escalate to Amps support quoting meta.requestId and meta.path.',
    exitCode: EXIT.unclassified,
  },
};
