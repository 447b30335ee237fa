// The exit-code contract. Scripts branch on these numbers, so they never change meaning; a new code
// may only refine a path that already failed. An API error's exit code is derived from its retry
// class in the catalogue, never chosen by a command.

export const EXIT = {
  ok: 0,
  bug: 1,
  usage: 2,
  credentials: 3,
  rejected: 4,
  conflict: 5,
  transient: 6,
  offline: 7,
  unclassified: 8,
  needsInput: 9,
  accepted: 10,
  outputLost: 11,
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Most severe first, every code but 0: where a run ends in several ways (a batch's devices, a follow), what needs a person most decides its exit code. */
const SEVERITY: readonly ExitCode[] = [EXIT.interrupted, EXIT.bug, EXIT.outputLost, EXIT.credentials, EXIT.unclassified, EXIT.rejected, EXIT.usage, EXIT.needsInput, EXIT.conflict, EXIT.offline, EXIT.transient, EXIT.accepted];

export function mostSevere(codes: Iterable<ExitCode>): ExitCode {
  const seen = new Set(codes);
  return SEVERITY.find((code) => seen.has(code)) ?? EXIT.ok;
}

/**
 * A fleet run's exit code from its devices' (and its stop's): the most severe, but 2 says nothing
 * was sent, so once anything was, a row amps refused locally counts as a rejected request (4).
 * One rule for the push and for `watch --exit-status` of its ledger.
 */
export function fleetExitCode(codes: Iterable<ExitCode>, anythingSent: boolean): ExitCode {
  const code = mostSevere(codes);
  return code === EXIT.usage && anythingSent ? EXIT.rejected : code;
}

/** The failure classes by name, as --fail-fast and --abort-if take them. */
export const EXIT_CLASSES: Readonly<Record<string, ExitCode>> = {
  usage: EXIT.usage, credentials: EXIT.credentials, rejected: EXIT.rejected, conflict: EXIT.conflict,
  transient: EXIT.transient, offline: EXIT.offline, unclassified: EXIT.unclassified,
};

export interface ExitCodeRow {
  code: ExitCode;
  meaning: string;
  from: string;
}

// The README's exit-code table says the same, word for word (test/help.test.ts holds them together).
export const EXIT_CODE_TABLE: readonly ExitCodeRow[] = [
  { code: 0, meaning: 'success', from: 'help asked for, or given: a bare amps, or a group without its verb (amps schedules), prints its help' },
  { code: 1, meaning: 'unexpected failure inside amps (a bug)', from: 'rerun with AMPS_DEBUG=1 and report the trace' },
  { code: 2, meaning: 'usage or local validation', from: 'a bad flag or argument, a preflight check; nothing was sent' },
  { code: 3, meaning: 'credentials or link: fix the API key or re-link the device', from: 'platform auth codes; manufacturer auth and discovery codes' },
  { code: 4, meaning: 'request rejected: change the request', from: "command, parameter and validation codes (400, 404, 422); a webhook delivery that does not verify (webhooks verify), a handler's non-2xx (webhooks trigger)" },
  { code: 5, meaning: 'state conflict left unresolved', from: 'the conflict codes (409: CONFLICT, SCHEDULER_ACTIVE, MODE_OVERRIDDEN, VPP_LOCKED, SCHEDULER_FULL, ACTION_NOT_CANCELLABLE), and a 409 that is no Amps error; a 409 carrying another code exits as that code does; schedule clear that leaves another schedule live on the device' },
  { code: 6, meaning: 'transient: retry with backoff', from: 'NETWORK_ERROR, RATE_LIMITED, RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE, TIMEOUT, SIMULATED_FAILURE; timeouts and connection failures; 502/503/504 from a proxy; the sandbox listen follows going away' },
  { code: 7, meaning: 'device offline: retry after a delay', from: 'DEVICE_OFFLINE' },
  { code: 8, meaning: 'unclassified: retry once, then escalate with the request id', from: "UNKNOWN_ERROR, INTERNAL_ERROR, codes not in the catalogue, unreadable bodies; a completed action whose device does not show it (--verify's drift); a read of every page (--all, --paginate) that stopped before the list's end, or a page that came back as another" },
  { code: 9, meaning: 'input needed but prompting is off', from: 'no terminal, CI set, or --no-input' },
  { code: 10, meaning: 'accepted, not finished when the wait ended: do not push again, follow it', from: "push --wait, actions wait; the action id and amps actions wait ID are printed; a fleet's --wait names amps watch --ledger FILE" },
  { code: 11, meaning: 'output lost: a ledger or output could not be written; the run stopped', from: 'a full disk under the ledger (what was sent is listed on stderr), a closed stdout during a fleet push (the ledger file has every line); any command whose stdout could not be written (> file on a full disk), said in one line on stderr; sandbox serve --state that could not save its state when stopped' },
  { code: 130, meaning: 'interrupted', from: 'Ctrl-C, SIGTERM or SIGHUP (a closed terminal), or Escape or Ctrl-D at a prompt' },
];

/**
 * A list command's exit code: a read of every page (`--all`, `--paginate`) that stopped before the
 * list's end (a page that said it starts elsewhere, an empty one that said more, the page cap) gave
 * less than was asked for, 8, as any answer amps could not use: `devices --all --json | … | amps push
 * --devices -` must not go on with part of a fleet, every step exiting 0.
 */
export function listExitCode(cutShort: boolean): ExitCode {
  return cutShort ? EXIT.unclassified : EXIT.ok;
}
