// What a second Ctrl-C (or SIGTERM) leaves undone, said as amps exits at once (cli.ts): a fleet
// run's devices in flight have no ledger line and the ledger no end record, and the way on is a
// resume, which reads those devices' actions before it sends anything again.

let note: string | undefined;

/** Sets (or, with undefined, clears) the line said when a second signal ends the process at once. */
export function setHardStopNote(text: string | undefined): void {
  note = text;
}

export function hardStopNote(): string | undefined {
  return note;
}
