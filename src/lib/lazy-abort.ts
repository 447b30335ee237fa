// An AbortController made when its signal is first asked for. Node loads its AbortController and
// EventTarget code on the first `new AbortController()` (~1 M instructions of `explain`, bench/startup.mjs), and
// the commands that send nothing (explain, decode, help, config) never look at the process's
// Ctrl-C signal or at the one a closed stdout aborts.

export class LazyAbortController {
  private controller?: AbortController;
  private abortedEarly = false;
  /** Called once, when the signal is first asked for: a command has begun to wait on it. */
  onFirstUse?: () => void;

  /** The signal, aborted already if abort() came first. */
  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.onFirstUse?.();
      this.controller = new AbortController();
      if (this.abortedEarly) this.controller.abort();
    }
    return this.controller.signal;
  }

  get aborted(): boolean {
    return this.controller?.signal.aborted ?? this.abortedEarly;
  }

  abort(): void {
    if (this.controller === undefined) this.abortedEarly = true;
    else this.controller.abort();
  }
}
