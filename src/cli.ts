// The entry point: builds the commander program with the global options, registers the commands,
// and is the one error boundary that turns every failure into a message and an exit code. It never
// calls process.exit, so stdout drains before the process ends.

import { closeSync, writeSync } from 'node:fs';
import { Command, CommanderError, Help, Option } from '@commander-js/extra-typings';
import COMMAND_LIST from './commands/command-list.json' with { type: 'json' };
import { EXIT, type ExitCode } from './contract/exit-codes.js';
import { UsageError } from './errors/failures.js';
import { versionJson, versionLine } from './lib/version.js';
import { jsonText, redactUrl } from './lib/values.js';
import { hardStopNote } from './lib/hard-stop.js';
import { redactKeyShapes } from './contract/keys.js';
import { duration, repeatable } from './config/option-parsers.js';
import { type CommandState, guardOutput, type IO, type OutputStream, plainIO, throughWrites, writeJsonError } from './output/io.js';
import { outputLostText, readerWentAway } from './lib/system-errors.js';
import { fdKind, standardStream, terminalGone } from './output/stdio.js';
import { safeToPrint } from './output/text.js';
import { LazyAbortController } from './lib/lazy-abort.js';
import { terminalPrompter } from './output/prompter.js';
import { colorLevel, styleFor } from './output/style.js';


type CommandFactory = (state: CommandState) => Command<any, any, any>;

/**
 * The one command this bundle holds, when it is a command's own (bin/build.mjs builds one per
 * command beside the bundle of them all, and boot.ts loads the one a command line needs), or
 * `help`: the bundle of a line that names no command (help and its topics, a bare `amps`,
 * `--help`), where every command stands in from the command list. Undefined in the bundle of them
 * all, and from source. esbuild folds every test of it to a constant (so they name it, not a
 * copy), and a bundle leaves the code of the commands it does not hold out.
 */
declare const AMPS_BUNDLE_COMMAND: string | undefined;

/**
 * Every subcommand, loaded on demand: a run loads only the command it runs (help and a typo list
 * them all by name, from the command list; completion loads them all). In a bundle that does not
 * hold a command, its `load` is undefined: boot.ts never runs that command there (commandBundleIn).
 */
const COMMANDS: ReadonlyArray<{ names: string[]; load?: () => Promise<CommandFactory> }> = [
  { names: ['push'], load: typeof AMPS_BUNDLE_COMMAND !== 'string' || AMPS_BUNDLE_COMMAND === 'push' ? async () => (await import('./commands/push/index.js')).pushCommand : undefined },
  { names: ['get', 'inspect'], load: typeof AMPS_BUNDLE_COMMAND !== 'string' || AMPS_BUNDLE_COMMAND === 'get' ? async () => (await import('./commands/get.js')).getCommand : undefined },
  { names: ['watch'], load: typeof AMPS_BUNDLE_COMMAND !== 'string' || AMPS_BUNDLE_COMMAND === 'watch' ? async () => (await import('./commands/watch.js')).watchCommand : undefined },
  { names: ['devices'], load: typeof AMPS_BUNDLE_COMMAND !== 'string' || AMPS_BUNDLE_COMMAND === 'devices' ? async () => (await import('./commands/devices.js')).devicesCommand : undefined },
  { names: ['settings'], load: typeof AMPS_BUNDLE_COMMAND !== 'string' || AMPS_BUNDLE_COMMAND === 'settings' ? async () => (await import('./commands/settings.js')).settingsCommand : undefined },
  { names: ['actions'], load: typeof AMPS_BUNDLE_COMMAND !== 'string' || AMPS_BUNDLE_COMMAND === 'actions' ? async () => (await import('./commands/actions/index.js')).actionsCommand : undefined },
  { names: ['explain'], load: typeof AMPS_BUNDLE_COMMAND !== 'string' || AMPS_BUNDLE_COMMAND === 'explain' ? async () => (await import('./commands/explain.js')).explainCommand : undefined },
  { names: ['decode'], load: typeof AMPS_BUNDLE_COMMAND !== 'string' || AMPS_BUNDLE_COMMAND === 'decode' ? async () => (await import('./commands/decode.js')).decodeCommand : undefined },
  { names: ['schedule'], load: typeof AMPS_BUNDLE_COMMAND !== 'string' || AMPS_BUNDLE_COMMAND === 'schedule' ? async () => (await import('./commands/schedule/index.js')).scheduleCommand : undefined },
  { names: ['schedules'], load: typeof AMPS_BUNDLE_COMMAND !== 'string' || AMPS_BUNDLE_COMMAND === 'schedules' ? async () => (await import('./commands/schedules/index.js')).schedulesCommand : undefined },
  { names: ['doctor'], load: typeof AMPS_BUNDLE_COMMAND !== 'string' || AMPS_BUNDLE_COMMAND === 'doctor' ? async () => (await import('./commands/doctor.js')).doctorCommand : undefined },
  { names: ['link'], load: typeof AMPS_BUNDLE_COMMAND !== 'string' || AMPS_BUNDLE_COMMAND === 'link' ? async () => (await import('./commands/link/index.js')).linkCommand : undefined },
  { names: ['api'], load: typeof AMPS_BUNDLE_COMMAND !== 'string' || AMPS_BUNDLE_COMMAND === 'api' ? async () => (await import('./commands/api.js')).apiCommand : undefined },
  { names: ['listen'], load: typeof AMPS_BUNDLE_COMMAND !== 'string' || AMPS_BUNDLE_COMMAND === 'listen' ? async () => (await import('./commands/listen.js')).listenCommand : undefined },
  { names: ['webhooks'], load: typeof AMPS_BUNDLE_COMMAND !== 'string' || AMPS_BUNDLE_COMMAND === 'webhooks' ? async () => (await import('./commands/webhooks/index.js')).webhooksCommand : undefined },
  { names: ['sandbox'], load: typeof AMPS_BUNDLE_COMMAND !== 'string' || AMPS_BUNDLE_COMMAND === 'sandbox' ? async () => (await import('./commands/sandbox/index.js')).sandboxCommand : undefined },
  { names: ['config'], load: typeof AMPS_BUNDLE_COMMAND !== 'string' || AMPS_BUNDLE_COMMAND === 'config' ? async () => (await import('./commands/config/index.js')).configCommand : undefined },
  { names: ['login'], load: typeof AMPS_BUNDLE_COMMAND !== 'string' || AMPS_BUNDLE_COMMAND === 'login' ? async () => (await import('./commands/config/login.js')).loginCommand : undefined },
];

/**
 * The options every command takes, defined once: the program adds them (globalOptions), and the
 * command's name is found past the values of those that take one (wordsIn), without making
 * commander's Option objects for that.
 */
const GLOBAL_OPTIONS: ReadonlyArray<{ flags: string; description: string; parse?: (value: string) => unknown }> = [
  { flags: '--json', description: 'machine-readable JSON on stdout (errors as JSON on stderr)' },
  { flags: '-q, --quiet', description: 'print only what was asked for' },
  { flags: '--no-color', description: 'no colour (also NO_COLOR=1)' },
  { flags: '--no-input', description: 'never prompt; fail with exit 9 (or 5 for a conflict) instead' },
  { flags: '--verbose', description: 'log each request and response line to stderr (key redacted)' },
  { flags: '--profile <name>', description: 'configuration profile to use' },
  { flags: '--api-url <url>', description: 'API base URL (default https://api.amps.ai, or the embedded sandbox)' },
  { flags: '--api-key-file <file>', description: 'read the API key from a file (- for stdin); keys never go on the command line' },
  { flags: '--timeout <duration>', description: 'overall time limit for each request (e.g. 30s, 2m; at most 1h)', parse: duration('--timeout', 3_600_000) },
];

/** The options every command takes, as the program adds them. */
export function globalOptions(): Option[] {
  return GLOBAL_OPTIONS.map(({ flags, description, parse }) => {
    const option = new Option(flags, description);
    return parse ? option.argParser(parse) : option;
  }) as unknown as Option[];
}

/** Every name (`-p`, `--profile`) of the global options that take a value (`<name>`, or `[name]`). */
const VALUE_FLAGS = new Set(GLOBAL_OPTIONS.filter((o) => /[<[]/.test(o.flags)).flatMap((o) => o.flags.split(/[ ,|]+/).filter((word) => word.startsWith('-'))));

/**
 * The words of the command line that are not options, skipping the values of the global options
 * that take one: a value (`--profile get`) must not be mistaken for the command, or the wrong
 * module loads and every command loads with it.
 */
function wordsIn(argv: string[]): string[] {
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (VALUE_FLAGS.has(arg)) i++;
    else if (!arg.startsWith('-')) words.push(arg);
  }
  return words;
}

/** The subcommand named on the command line, skipping global options and their values. */
export function commandNameIn(argv: string[]): string | undefined {
  return wordsIn(argv)[0];
}

/**
 * The bundle this command line needs: its command's, by its first name (`get` for `inspect`);
 * `help` when no word names a command (help and its topics, none, a typo: every command stands in
 * from the command list); undefined for the bundle of them all (completion, `help push`). boot.ts
 * asks the bundle it guessed, and loads another if the guess was wrong.
 */
export function commandBundleIn(argv: string[]): string | undefined {
  const words = wordsIn(argv);
  const named = (word: string | undefined) => COMMANDS.find((c) => c.names.includes(word ?? ''));
  const own = named(words[0]);
  if (own) return own.names[0];
  return words.some((word) => word === 'completion' || named(word)) ? undefined : 'help';
}

/** A top-level command as the program's help lists it: src/commands/command-list.json holds one per command. */
export interface CommandListEntry {
  name: string;
  aliases: string[];
  /** `push [options] <type> <id> [command]`: the left column of the listing. */
  term: string;
  description: string;
}

/**
 * The left column of the listing for the stand-ins below, which have no options or arguments of
 * their own to make it from.
 */
const STAND_IN_TERMS = new WeakMap<object, string>();

/**
 * A command that only shows in a listing: its name, aliases and summary, from the command list.
 * `amps`, `amps help`, `amps --help` and a mistyped command need every command's name and summary
 * but none of their code; loading all of them costs ~7 ms (bench/startup.mjs).
 */
function standIn(entry: CommandListEntry): Command {
  const command = new Command(entry.name).description(entry.description);
  if (entry.aliases.length > 0) command.aliases(entry.aliases);
  STAND_IN_TERMS.set(command, entry.term);
  return command as unknown as Command;
}

const listed = (name: string): CommandListEntry => {
  const entry = (COMMAND_LIST as CommandListEntry[]).find((e) => e.name === name);
  if (!entry) throw new Error(`src/commands/command-list.json lacks ${name}: run npm run completions`);
  return entry;
};

/** What `amps help` lists of every top-level command but help itself (bin/command-list.mjs writes it to src/commands/command-list.json). */
export async function commandList(): Promise<CommandListEntry[]> {
  const { PassThrough } = await import('node:stream');
  const io = plainIO({ stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough() });
  const program = await buildProgram({ io, exitCode: EXIT.ok, argv: [] }, [], { everyCommand: true });
  const helper = program.createHelp();
  return program.commands
    .filter((c) => c.name() !== 'help')
    .map((c) => ({ name: c.name(), aliases: c.aliases(), term: helper.subcommandTerm(c), description: helper.subcommandDescription(c) }));
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
      // An --api-url may carry credentials, which are never printed.
      const shown = (text: string) => redactKeyShapes(option.long === '--api-url' ? redactUrl(text) : text);
      if (seen !== undefined) throw new UsageError(`${option.long ?? option.short} is given twice ('${shown(seen)}' and '${shown(value)}'): amps will not guess which you meant`);
      seen = value;
      return (parse ? parse(value, previous) : value) as T;
    });
  }
}

/**
 * `amps GROUP help [COMMAND]`, as commander's own, but a name the group does not have is refused
 * (exit 2), where commander showed the group's help and exited 0. Hidden: the group's help lists
 * its commands, and `--help` after any of them says the same.
 */
function groupHelp(group: Command): void {
  // A group given without its verb (`amps config`) prints its help as help asked for: on stdout,
  // exit 0 (`amps config | less`). Commander writes it to stderr, as an error's.
  const asked = group.help.bind(group);
  group.help = ((context?: { error?: boolean }) => asked(context !== undefined && typeof context === 'object' ? { ...context, error: false } : context)) as Command['help'];
  group.helpCommand(false);
  const help = new Command('help').argument('[command]').description('display help for command').exitOverride().configureOutput(group.configureOutput());
  help.action((name: string | undefined) => {
    if (name === undefined) group.help();
    const sub = group.commands.find((c) => c.name() === name || c.aliases().includes(name!));
    if (!sub) throw new UsageError(`amps ${group.name()} has no command '${name}'`, `amps ${group.name()} --help lists its commands`);
    sub.help();
  });
  group.addCommand(help, { hidden: true });
}

/**
 * The program for this command line, with only the command it runs loaded. Without a known command
 * (help, completion, none, a typo) every command is listed: completion and the commands named on
 * the line (`amps help push`) are loaded, the rest stand in from the command list, unless
 * `everyCommand` asks for all of them.
 */
export async function buildProgram(state: CommandState, argv: string[] = [], { everyCommand = false } = {}): Promise<Command> {
  const { io } = state;
  const program = new Command('amps')
    .description('Operate devices through the Amps API: push commands, inspect state, decode errors.\nWith no key or URL configured, amps runs against an embedded local sandbox.')
    .version(argv.includes('--json') ? versionJson() : versionLine(), '-v, --version', 'print the version, node version and platform (--json: as JSON)')
    .helpCommand(false)
    .showSuggestionAfterError(true)
    .configureHelp({
      showGlobalOptions: true,
      sortSubcommands: false,
      subcommandTerm(this: Help, command) {
        return STAND_IN_TERMS.get(command) ?? Help.prototype.subcommandTerm.call(this, command);
      },
    })
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      // With --json the refusal goes out as every error does there, JSON on stderr (runCommand).
      outputError: (s, write) => {
        if (state.argv.includes('--json')) state.parseError = s;
        // The parser echoes what was typed (a key pasted as a value, escapes): cleaned as amps' own messages are.
        else write(`amps: ${safeToPrint(s.replace(/^error: /, ''), true)}`);
      },
      // From IO, as everything else: commander's own answers would make Node's stdio streams (stdio.ts).
      // Off a terminal no width, as commander's own give (it then wraps at 80; its types omit undefined).
      getOutHelpWidth: () => (io.stdoutIsTTY ? io.columns : undefined) as number,
      getErrHelpWidth: () => (io.stderrIsTTY ? io.columns : undefined) as number,
      getOutHasColors: () => io.out.enabled,
      getErrHasColors: () => io.err.enabled,
    })
    .exitOverride();
  for (const option of globalOptions()) program.addOption(option as never);

  const words = wordsIn(argv);
  const name = words[0];
  const wanted = COMMANDS.filter((c) => c.names.includes(name ?? ''));
  // `amps --version` needs no command at all.
  const versionOnly = name === undefined && argv.some((a) => a === '-v' || a === '--version');
  if ((wanted.length > 0 && wanted.every((c) => c.load)) || versionOnly) {
    for (const entry of wanted) program.addCommand((await entry.load!())(state) as unknown as Command);
  } else if (typeof AMPS_BUNDLE_COMMAND !== 'string' || AMPS_BUNDLE_COMMAND === 'help') {
    // Completion describes the whole tree, so it comes with every command loaded.
    const loadAll = everyCommand || name === 'completion';
    for (const entry of COMMANDS) {
      const real = loadAll || entry.names.some((n) => words.includes(n));
      program.addCommand(real ? ((await entry.load!())(state) as unknown as Command) : standIn(listed(entry.names[0]!)));
    }
    const { helpCommand } = await import('./commands/help-topics.js');
    program.addCommand(helpCommand(state, program) as unknown as Command);
    // The help bundle lists completion as it lists every command: by name (commandBundleIn).
    const completionReal = typeof AMPS_BUNDLE_COMMAND !== 'string' && (loadAll || words.includes('completion'));
    program.addCommand(completionReal ? ((await import('./commands/completion.js')).completionCommand(state, program) as unknown as Command) : standIn(listed('completion')));
  } else {
    throw new Error(`the bundle of ${AMPS_BUNDLE_COMMAND} cannot run this command line: boot.ts loads it only for its command`);
  }
  // Every subcommand reports usage errors the same way and leaves exiting to main().
  const configure = (command: Command) => {
    command.exitOverride().configureOutput(program.configureOutput()).showSuggestionAfterError(true);
    refuseRepeats(command);
    command.commands.forEach((c) => configure(c as Command));
    if (command.commands.length > 0) groupHelp(command);
  };
  refuseRepeats(program);
  program.commands.forEach((c) => configure(c as Command));
  program.addHelpText('after', '\nExit codes: amps help exit-codes · Environment: amps help environment');
  return program;
}

/**
 * The first failure of stdout, as its 'error' event told it (stderr carries no data: outputChecked),
 * and whether the command wrote anything on stderr.
 */
interface OutputFailures {
  stdout?: Error;
  stderrWritten?: boolean;
}

/** stderr as commands write it, noting that something was (outputChecked). */
function notingWrites(stream: OutputStream, failures: OutputFailures): OutputStream {
  return throughWrites(stream, (chunk) => {
    failures.stderrWritten = true;
    return stream.write(chunk);
  });
}

async function processIO(argv: string[], interrupt: LazyAbortController, failures: OutputFailures): Promise<IO> {
  const env = process.env;
  const closed = new LazyAbortController();
  const stdoutClosed = new LazyAbortController();
  const stdout = standardStream(1, () => process.stdout);
  const stderr = standardStream(2, () => process.stderr);
  guardOutput(stdout.stream, (error) => {
    failures.stdout ??= error;
    closed.abort();
    stdoutClosed.abort();
  });
  // A stderr that cannot take more (a full log file) stops nothing: it carries no data. One whose
  // reader went away (`2>&1 | head`) stops a fleet like a closed stdout.
  guardOutput(stderr.stream, (error) => {
    if (readerWentAway(error)) closed.abort();
  });
  const noColor = argv.includes('--no-color');
  const [out, err] = await Promise.all([styleFor(colorLevel(stdout.isTTY, env, noColor)), styleFor(colorLevel(stderr.isTTY, env, noColor))]);
  return {
    // Getters: Node makes process.stdin on first use, and making it loads the fs, net and tty
    // modules (~2-3 ms of every start); most commands never read it or ask what it is.
    get stdin() {
      return process.stdin;
    },
    get stdinIsTTY() {
      return Boolean(process.stdin.isTTY);
    },
    stdout: stdout.stream,
    stderr: notingWrites(stderr.stream, failures),
    stdoutIsTTY: stdout.isTTY,
    stderrIsTTY: stderr.isTTY,
    env,
    columns: stdout.columns ?? 100,
    get stderrColumns() {
      return stderr.isTTY ? process.stderr.columns : undefined;
    },
    out,
    err,
    now: () => new Date(),
    // Getters too: the signals are made when a command first looks (lib/lazy-abort.ts).
    get signal() {
      return interrupt.signal;
    },
    get outputClosed() {
      return closed.signal;
    },
    get stdoutClosed() {
      return stdoutClosed.signal;
    },
    // Questions are asked only when stderr is a terminal (canPrompt), whose stream is Node's own,
    // the one above (inquirer needs its width and cursor), already guarded.
    prompter: terminalPrompter(() => process.stdin, () => process.stderr, () => interrupt.signal, () => err.enabled),
  };
}

/**
 * The first Ctrl-C or SIGTERM (what `timeout`, systemd and CI cancellation send) aborts what is in
 * flight: the command stops, reports (a fleet's ledger gets every device and its end; a served
 * sandbox saves its state), and exits 130. A second one exits at once, saying what it leaves
 * undone where a command has said (lib/hard-stop.ts). `commandDone` is called when the command is
 * done: a signal while its output drains then ends the process at once, 130, not killed by the
 * signal. `watchHangUp`, once a command waits on its signal: a closed terminal (SIGHUP, an ssh
 * session dropped) then stops it as the first Ctrl-C does, however often it is signalled (by the
 * terminal, then by the shell that goes with it). (`nohup` never kept a Node program running:
 * Node sets SIGHUP back to its default as it starts.)
 */
function interruptOnSignals(controller: LazyAbortController, json: boolean): { commandDone(): void; watchHangUp(): void } {
  let done = false;
  const onSignal = (signal: NodeJS.Signals) => {
    // A hang-up comes more than once (the terminal's, then its owner's: a shell, an ssh server, a
    // terminal emulator's kill); one after the command stopped is no one's second Ctrl-C. It once
    // turned a served sandbox that had saved its state and was exiting 0 into 130.
    if (signal === 'SIGHUP' && controller.aborted) return;
    if (controller.aborted || done) {
      // Written at once, as the process ends: what this leaves undone (a fleet's devices in flight);
      // with --json as the one JSON error stderr holds.
      const note = hardStopNote();
      if (note) {
        try {
          writeSync(2, json ? `${jsonText({ error: { code: 'INTERRUPTED', message: note, exitCode: EXIT.interrupted } })}\n` : `amps: ${note}\n`);
        } catch {
          // stderr gone: the exit code still says it.
        }
      }
      process.exit(EXIT.interrupted);
    }
    controller.abort();
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, onSignal);
  let watching = false;
  return {
    commandDone: () => {
      done = true;
    },
    watchHangUp: () => {
      if (watching) return;
      watching = true;
      process.on('SIGHUP', onSignal);
      process.once('exit', letGoOfHungUpTerminal);
    },
  };
}

/**
 * A terminal that hung up is let go as the process exits: Node puts back each terminal's settings
 * at exit, and stops the process (SIGABRT) when the terminal is gone (EIO); a descriptor that is
 * closed, it skips. A terminal that is gone is a character device that is no terminal any more.
 * Looked at in any exit of a command that waited, not only after SIGHUP: a read of the terminal
 * can end the command (EOF) before the signal's handler runs.
 */
function letGoOfHungUpTerminal(): void {
  for (const fd of [0, 1, 2]) {
    try {
      // /dev/null (fdKind 'file') is let be without loading node:tty: the usual case in scripts.
      if (fdKind(fd) === 'other' && terminalGone(fd)) closeSync(fd);
    } catch {
      // Closed already.
    }
  }
}

export async function main(argv: string[]): Promise<number> {
  const interrupt = new LazyAbortController();
  const json = argv.includes('--json');
  const { commandDone, watchHangUp } = interruptOnSignals(interrupt, json);
  interrupt.onFirstUse = watchHangUp;
  const failures: OutputFailures = {};
  const io = await processIO(argv, interrupt, failures);
  try {
    return outputChecked(io, failures, await runCommand(io, argv, json), json);
  } finally {
    commandDone();
  }
}

async function runCommand(io: IO, argv: string[], json: boolean): Promise<ExitCode> {
  const state: CommandState = { io, exitCode: EXIT.ok, argv };
  try {
    const program = await buildProgram(state, argv);
    if (argv.length === 0) {
      program.outputHelp();
      return EXIT.ok;
    }
    await program.parseAsync(argv, { from: 'user' });
    return state.exitCode;
  } catch (error) {
    const { reportFailure } = await import('./output/failure-report.js');
    if (error instanceof CommanderError) {
      if (['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(error.code)) return EXIT.ok;
      if (state.parseError === undefined) return EXIT.usage;
      // `error: unknown option '--bogus'` then, on lines of their own, commander's suggestions.
      const [message, ...hint] = state.parseError.replace(/^error: /, '').trim().split('\n');
      return reportFailure(new UsageError(message!, hint.join(' ').trim() || undefined), io, json);
    }
    return reportFailure(error, io, json);
  }
}

/**
 * A command that did its work but whose output could not be written (a full disk: ENOSPC; EIO) did
 * not do what was asked: it says so on stderr (as JSON with --json) and exits 11 instead of 0 or 10.
 * A command that failed already said why, with its own code: that code stands, and only a text line
 * is added (with --json stderr stays one JSON object). A failure whose outcome is the data itself
 * (`decode --json` of an error response, `webhooks verify --json`) wrote nothing on stderr: with
 * --json it gets the OUTPUT_LOST object there, with the code the process exits with (its own). A reader that went away
 * (`| head`) lost nothing it wanted; stderr carries no data: neither changes anything.
 */
function outputChecked(io: IO, failures: OutputFailures, code: ExitCode, json: boolean): ExitCode {
  // `errored` holds a failure from the moment a write meets it, before its 'error' event (which a
  // command's last write may not have reached yet); Node's own stdio streams clear it after the event.
  const failure = failures.stdout ?? io.stdout.errored ?? undefined;
  if (failure === undefined || readerWentAway(failure)) return code;
  const message = outputLostText(failure);
  const finished = code === EXIT.ok || code === EXIT.accepted;
  const exitCode = finished ? EXIT.outputLost : code;
  if (json && (finished || !failures.stderrWritten)) writeJsonError(io, 'OUTPUT_LOST', message, exitCode);
  else if (!json) io.stderr.write(`amps: ${message}\n`);
  return exitCode;
}
