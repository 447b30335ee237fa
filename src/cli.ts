// The entry point: builds the commander program with the global options, registers the commands,
// and is the one error boundary that turns every failure into a message and an exit code. It never
// calls process.exit, so stdout drains before the process ends.

import { Command, CommanderError, Option } from '@commander-js/extra-typings';
import { EXIT } from './contract/exit-codes.js';
import { UsageError } from './errors/failures.js';
import { versionLine } from './lib/version.js';
import { duration, repeatable } from './config/option-parsers.js';
import { type CommandState, guardOutput, type IO } from './output/io.js';
import { terminalPrompter } from './output/prompter.js';
import { colorLevel, styleFor } from './output/style.js';


type CommandFactory = (state: CommandState) => Command<any, any, any>;

/**
 * Every subcommand, loaded on demand: each module is its own chunk, so a run loads only the
 * command it runs (help and unknown commands load them all, for listings and suggestions).
 */
const COMMANDS: ReadonlyArray<{ names: string[]; load: () => Promise<CommandFactory> }> = [
  { names: ['push'], load: async () => (await import('./commands/push/index.js')).pushCommand },
  { names: ['get', 'inspect'], load: async () => (await import('./commands/get.js')).getCommand },
  { names: ['watch'], load: async () => (await import('./commands/watch.js')).watchCommand },
  { names: ['devices'], load: async () => (await import('./commands/devices.js')).devicesCommand },
  { names: ['settings'], load: async () => (await import('./commands/settings.js')).settingsCommand },
  { names: ['actions'], load: async () => (await import('./commands/actions/index.js')).actionsCommand },
  { names: ['explain'], load: async () => (await import('./commands/explain.js')).explainCommand },
  { names: ['decode'], load: async () => (await import('./commands/decode.js')).decodeCommand },
  { names: ['schedule'], load: async () => (await import('./commands/schedule/index.js')).scheduleCommand },
  { names: ['schedules'], load: async () => (await import('./commands/schedules/index.js')).schedulesCommand },
  { names: ['doctor'], load: async () => (await import('./commands/doctor.js')).doctorCommand },
  { names: ['link'], load: async () => (await import('./commands/link/index.js')).linkCommand },
  { names: ['api'], load: async () => (await import('./commands/api.js')).apiCommand },
  { names: ['listen'], load: async () => (await import('./commands/listen.js')).listenCommand },
  { names: ['webhooks'], load: async () => (await import('./commands/webhooks/index.js')).webhooksCommand },
  { names: ['sandbox'], load: async () => (await import('./commands/sandbox/index.js')).sandboxCommand },
  { names: ['config'], load: async () => (await import('./commands/config/index.js')).configCommand },
  { names: ['login'], load: async () => (await import('./commands/config/login.js')).loginCommand },
];

/** The options every command takes, defined once: the program adds them, and commandNameIn reads them. */
export function globalOptions(): Option[] {
  return [
    new Option('--json', 'machine-readable JSON on stdout (errors as JSON on stderr)'),
    new Option('-q, --quiet', 'print only what was asked for'),
    new Option('--no-color', 'no colour (also NO_COLOR=1)'),
    new Option('--no-input', 'never prompt; fail with exit 9 (or 5 for a conflict) instead'),
    new Option('--verbose', 'log each request and response line to stderr (key redacted)'),
    new Option('--profile <name>', 'configuration profile to use'),
    new Option('--api-url <url>', 'API base URL (default https://api.amps.ai, or the embedded sandbox)'),
    new Option('--api-key-file <file>', 'read the API key from a file (- for stdin); keys never go on the command line'),
    new Option('--timeout <duration>', 'overall time limit for each request (e.g. 30s, 2m; at most 1h)').argParser(duration('--timeout', 3_600_000)),
  ] as unknown as Option[];
}

/**
 * The global options that take a value, derived from their definitions: a value (`--profile get`)
 * must not be mistaken for the command, or the wrong module loads and every command loads with it.
 */
const OPTIONS_WITH_VALUES = new Set(globalOptions().filter((o) => o.required || o.optional).flatMap((o) => [o.long, o.short].filter((n): n is string => Boolean(n))));

/** The subcommand named on the command line, skipping global options and their values. */
export function commandNameIn(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (OPTIONS_WITH_VALUES.has(arg)) i++;
    else if (!arg.startsWith('-')) return arg;
  }
  return undefined;
}

/**
 * A value flag given twice is refused (`--device a --device b` would send to b), for every option
 * of every command, except those declared `repeatable` (--slot, -f), which collect their values.
 */
function refuseRepeats(command: Command): void {
  for (const option of command.options) {
    if (!(option.required || option.optional) || option.variadic || option.parseArg === (repeatable as unknown)) continue;
    const parse = option.parseArg;
    let seen: string | undefined;
    option.parseArg = (<T>(value: string, previous: T): T => {
      if (seen !== undefined) throw new UsageError(`${option.long ?? option.short} is given twice ('${seen}' and '${value}'): amps will not guess which you meant`);
      seen = value;
      return (parse ? parse(value, previous) : value) as T;
    });
  }
}

export async function buildProgram(state: CommandState, argv: string[] = []): Promise<Command> {
  const { io } = state;
  const program = new Command('amps')
    .description('Operate devices through the Amps API: push commands, inspect state, decode errors.\nWith no key or URL configured, amps runs against an embedded local sandbox.')
    .version(versionLine(), '-v, --version', 'print the version, node version and platform')
    .helpCommand(false)
    .showSuggestionAfterError(true)
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => write(`amps: ${s.replace(/^error: /, '')}`),
    })
    .exitOverride();
  for (const option of globalOptions()) program.addOption(option as never);

  const name = commandNameIn(argv);
  const wanted = COMMANDS.filter((c) => c.names.includes(name ?? ''));
  // `amps --version` needs no command at all.
  const versionOnly = name === undefined && argv.some((a) => a === '-v' || a === '--version');
  for (const entry of wanted.length > 0 || versionOnly ? wanted : COMMANDS) {
    program.addCommand((await entry.load())(state) as unknown as Command);
  }
  // help and completion describe the whole tree, so they come with every command loaded.
  if (wanted.length === 0 && !versionOnly) {
    const [{ helpCommand }, { completionCommand }] = await Promise.all([import('./commands/help-topics.js'), import('./commands/completion.js')]);
    program.addCommand(helpCommand(state, program) as unknown as Command);
    program.addCommand(completionCommand(state, program) as unknown as Command);
  }
  // Every subcommand reports usage errors the same way and leaves exiting to main().
  const configure = (command: Command) => {
    command.exitOverride().configureOutput(program.configureOutput()).showSuggestionAfterError(true);
    refuseRepeats(command);
    command.commands.forEach((c) => configure(c as Command));
  };
  refuseRepeats(program);
  program.commands.forEach((c) => configure(c as Command));
  program.addHelpText('after', '\nExit codes: amps help exit-codes · Environment: amps help environment');
  return program;
}

async function processIO(argv: string[], signal: AbortSignal): Promise<IO> {
  const env = process.env;
  const closed = new AbortController();
  guardOutput(process.stdout, () => closed.abort());
  guardOutput(process.stderr, () => closed.abort());
  const noColor = argv.includes('--no-color');
  const [out, err] = await Promise.all([
    styleFor(colorLevel(Boolean(process.stdout.isTTY), env, noColor)),
    styleFor(colorLevel(Boolean(process.stderr.isTTY), env, noColor)),
  ]);
  return {
    // Getters: Node makes process.stdin on first use, and making it loads the fs, net and tty
    // modules (~2-3 ms of every start); most commands never read it or ask what it is.
    get stdin() {
      return process.stdin;
    },
    get stdinIsTTY() {
      return Boolean(process.stdin.isTTY);
    },
    stdout: process.stdout,
    stderr: process.stderr,
    stdoutIsTTY: Boolean(process.stdout.isTTY),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    env,
    columns: process.stdout.columns ?? 100,
    out,
    err,
    now: () => new Date(),
    signal,
    outputClosed: closed.signal,
    prompter: terminalPrompter(() => process.stdin, process.stderr, signal),
  };
}

/**
 * The first Ctrl-C or SIGTERM (what `timeout`, systemd and CI cancellation send) aborts what is in
 * flight: the command stops, reports, and exits 130. A second one exits at once.
 */
function interruptOnSignals(controller: AbortController): () => void {
  const onSignal = () => {
    if (controller.signal.aborted) process.exit(EXIT.interrupted);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}

export async function main(argv: string[]): Promise<number> {
  const controller = new AbortController();
  const stopListening = interruptOnSignals(controller);
  const io = await processIO(argv, controller.signal);
  const state: CommandState = { io, exitCode: EXIT.ok, argv };
  const json = argv.includes('--json');
  try {
    const program = await buildProgram(state, argv);
    if (argv.length === 0) {
      program.outputHelp();
      return EXIT.ok;
    }
    await program.parseAsync(argv, { from: 'user' });
    return state.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(error.code)) return EXIT.ok;
      return EXIT.usage;
    }
    const { reportFailure } = await import('./output/failure-report.js');
    return reportFailure(error, io, json);
  } finally {
    stopListening();
  }
}
