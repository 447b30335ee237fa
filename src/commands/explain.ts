import { Command } from '@commander-js/extra-typings';
import {
  CATALOGUE,
  CATEGORY_LABELS,
  type CatalogueEntry,
  type Category,
  entriesFor,
  entriesWithStatus,
  normaliseCode,
  suggestCodes,
  whatToDoFields,
  whoseEntry,
} from '../errors/catalogue.js';
import { EXIT, type ExitCode } from '../contract/exit-codes.js';
import { holdsKeyShape } from '../contract/keys.js';
import { type LocalCode, localCode, localCodeNames, nonAmpsBodyCode } from '../errors/decode.js';
import { UsageError } from '../errors/failures.js';
import { RETRY_CLASSES } from '../errors/retry-classes.js';
import { globalsOf } from '../config/globals.js';
import { withExamples } from '../output/command-help.js';
import { type CommandState, type IO, writeJson, writeLine, type Run } from '../output/io.js';
import { fieldLines } from '../output/text.js';

export interface ExplainOptions {
  code?: string;
  list?: boolean;
  category?: string;
  json?: boolean;
}

function sourceLine(entry: CatalogueEntry): string {
  switch (whoseEntry(entry)) {
    case 'amps':
      return 'defined by amps (the Amps docs are silent on it)';
    case 'docs page':
      return entry.retryQuote
        ? 'the Amps docs\' error-codes page: message, what to do and when to retry are quoted from it'
        : 'the Amps docs\' error-codes page: message and what to do are quoted from it (its retry table does not list this code)';
    default:
      return entry.messageSource ? 'documented by Amps; the exact message is ours (the docs give none)' : 'documented by Amps; the what-to-do text is ours';
  }
}

/** As an error's --json has it (whatToDoFields): the docs' words apart from amps'. */
/** The fields an entry may leave out: each must be below (the compiler holds the list to the type). */
type OptionalKeys<T> = { [K in keyof T]-?: undefined extends T[K] ? K : never }[keyof T];

/** Every field of every entry, null where an entry has none: one shape for scripts, as an error's --json is. */
const ENTRY_FIELDS_OR_NULL: Record<OptionalKeys<CatalogueEntry>, null> = { variant: null, alsoHttp: null, alsoMessages: null, retryQuote: null, note: null, detailsSource: null, exampleDetails: null, docsPage: null, paths: null, strategies: null, messageSource: null };

function entryJson(entry: CatalogueEntry): Record<string, unknown> {
  const json: Record<string, unknown> = {
    ...entry,
    // The status under the name an error's --json gives it too (`jq .status` reads both alike).
    status: entry.http,
    ...whatToDoFields(entry),
    retry: RETRY_CLASSES[entry.retryClass].guidance,
    exitCode: RETRY_CLASSES[entry.retryClass].exitCode,
  };
  for (const [name, none] of Object.entries(ENTRY_FIELDS_OR_NULL)) if (!(name in json)) json[name] = none;
  return json;
}

function entryText(entry: CatalogueEntry, io: IO): string[] {
  const s = io.out;
  const retry = RETRY_CLASSES[entry.retryClass];
  const heading = [s.bold(entry.code), `HTTP ${entry.http}${entry.alsoHttp ? ` (also ${entry.alsoHttp.join(', ')})` : ''}`, CATEGORY_LABELS[entry.category]];
  if (entry.variant) heading.push(`variant: ${entry.variant}`);
  const quote = (text: string) => `“${text}” (Amps docs)`;
  const lines = [heading.join(s.dim(' · ')), `  ${entry.docsPage ? quote(entry.message) : entry.message}`, ''];
  const fields: Array<[string, string]> = [['What to do', entry.docsPage ? quote(entry.whatToDo) : entry.whatToDo]];
  if (entry.retryQuote) fields.push(['When to retry', quote(entry.retryQuote)]);
  fields.push(['amps class', `${retry.label}: ${retry.guidance}`], ['Exit code', String(retry.exitCode)]);
  if (entry.note) fields.push(['amps note', entry.note]);
  fields.push(['At fault', entry.party], ['Source', sourceLine(entry)]);
  lines.push(...fieldLines(fields));
  if (entry.details.length > 0) {
    const named = entry.detailsSource === 'amps-cli' ? ' (the docs name none of them: these names are amps\' and its sandbox\'s)'
      : entry.details.some((d) => d.ampsName) ? ' (those marked amps\' are named by amps and its sandbox, not the docs)' : '';
    lines.push(`Details fields${named}:`, ...fieldLines(entry.details.map((d) => [d.ampsName ? `${d.name} (amps')` : d.name, d.description] as const), '  '));
  }
  if (entry.exampleDetails && Object.keys(entry.exampleDetails).length > 0) {
    lines.push('Example details:', ...JSON.stringify(entry.exampleDetails, null, 2).split('\n').map((l) => `  ${l}`));
  }
  const related = entry.related.filter((r) => r !== entry.code);
  if (related.length > 0) lines.push(`Related: ${related.join(', ')}`);
  return lines;
}

/** A row: the code, its variant ('' for none), status, class, whose, message. */
function summaryRows(entries: readonly CatalogueEntry[]): string[][] {
  return entries.map((e) => [e.code, e.variant ?? '', String(e.http), RETRY_CLASSES[e.retryClass].label, whoseEntry(e), e.message]);
}

/**
 * At a terminal, every column but the last padded to its widest, the variant beside its code
 * (`CONFLICT (pending)`); piped, tab-separated, as every table amps prints, the variant a column of
 * its own (`-` for none), so `cut -f1` gives codes `amps explain` takes.
 */
function printRows(rows: string[][], io: IO): void {
  if (!io.stdoutIsTTY) {
    for (const [code, variant, ...rest] of rows) writeLine(io.stdout, [code, variant || '-', ...rest].join('\t'));
    return;
  }
  const shown = rows.map(([code, variant, ...rest]) => [variant ? `${code} (${variant})` : code, ...rest]);
  const widths = shown[0]!.slice(0, -1).map((_, i) => Math.max(...shown.map((r) => r[i].length)));
  for (const row of shown) writeLine(io.stdout, row.map((cell, i) => (i < widths.length ? cell.padEnd(widths[i]) : cell)).join('  '));
}

function printSummary(entries: readonly CatalogueEntry[], io: IO): void {
  printRows(summaryRows(entries), io);
}

function listCatalogue(options: ExplainOptions, io: IO): ExitCode {
  let category: Category | undefined;
  if (options.category !== undefined) {
    const wanted = options.category.toLowerCase();
    category = (Object.keys(CATEGORY_LABELS) as Category[]).find((c) => c === wanted);
    if (!category) {
      throw new UsageError(`unknown category '${options.category}'`, `categories: ${Object.keys(CATEGORY_LABELS).join(', ')}`);
    }
  }
  const entries = CATALOGUE.filter((e) => !category || e.category === category);
  // amps' own codes come last, in no category of the API's; HTTP_<status> stands for one a status.
  const locals = category ? [] : [...localCodeNames().map((name) => localCode(name)!), nonAmpsBodyCode()];
  if (options.json) {
    writeJson(io, [...entries.map(entryJson), ...locals.map(localJson)]);
    return EXIT.ok;
  }
  // Headings and the legend are for people: piped, the rows alone.
  const people = io.stdoutIsTTY;
  const categories = [...new Set(entries.map((e) => e.category))];
  categories.forEach((c, i) => {
    if (people && i > 0) writeLine(io.stdout);
    if (people) writeLine(io.stdout, io.out.bold(`${CATEGORY_LABELS[c]} (${c})`));
    printSummary(entries.filter((e) => e.category === c), io);
  });
  if (locals.length > 0) {
    if (people) writeLine(io.stdout);
    if (people) writeLine(io.stdout, io.out.bold('amps\' own codes: no Amps error came back (the Amps docs have none of them)'));
    printRows(locals.map((local) => {
      const { exitCode } = localJson(local);
      return [local.code, '', '-', local.retryClass ? RETRY_CLASSES[local.retryClass].label : exitCode === null ? 'by its status' : `exit ${String(exitCode)}`, 'amps', local.message];
    }), io);
  }
  if (people) writeLine(io.stdout, io.out.dim('\nWhose: docs page = the Amps docs\' error-codes page, quoted word for word; Amps docs = the code is documented elsewhere in them (its message may be amps\' words: amps explain CODE says); amps = defined by amps.'));
  return EXIT.ok;
}

/**
 * One of amps' own codes as --json gives it: `whatToDo` is null (no docs' words), amps' text is
 * `ampsWhatToDo`. `HTTP_<status>` in general has no class nor exit code: its status gives them.
 */
function localJson(local: LocalCode): { exitCode: ExitCode | null } & Record<string, unknown> {
  const retry = local.retryClass ? RETRY_CLASSES[local.retryClass] : undefined;
  const exitCode = local.code === nonAmpsBodyCode().code ? null : retry?.exitCode ?? local.exitCode ?? EXIT.unclassified;
  return { code: local.code, message: local.message, retryClass: local.retryClass ?? null, whatToDo: null, ampsWhatToDo: local.whatToDo, source: 'amps-local', retry: retry?.guidance ?? null, exitCode };
}

/** One of amps' own codes: what happened where no Amps error came back (a refused connection, a body it cannot use). */
function explainLocal(local: LocalCode, options: ExplainOptions, io: IO): ExitCode {
  const retry = local.retryClass ? RETRY_CLASSES[local.retryClass] : undefined;
  const { exitCode } = localJson(local);
  const source = retry
    ? 'amps: what happened below HTTP, or to an answer it cannot use (the Amps docs have no code for it)'
    : 'amps: its own stop, before or instead of a request (the Amps docs have no code for it)';
  if (options.json) {
    writeJson(io, localJson(local));
    return EXIT.ok;
  }
  const lines = [[io.out.bold(local.code), 'no Amps error: amps\' own code'].join(io.out.dim(' · ')), `  ${local.message}`, ''];
  lines.push(...fieldLines([
    ['What to do', local.whatToDo],
    ...(retry ? [['amps class', `${retry.label}: ${retry.guidance}`] as [string, string]] : []),
    ['Exit code', String(exitCode)],
    ['Source', source],
  ]));
  writeLine(io.stdout, lines.join('\n'));
  return EXIT.ok;
}

export async function run(options: ExplainOptions, io: IO): Promise<ExitCode> {
  // --list with a code would list the catalogue and leave the code unread.
  if (options.list && options.code !== undefined) throw new UsageError(`--list lists the catalogue; it takes no code ('${options.code}')`, `amps explain ${options.code} explains that code; amps explain --list [--category C] lists them`);
  if (options.category !== undefined && options.code !== undefined) throw new UsageError(`--category lists the catalogue's codes of a category; it takes no code ('${options.code}')`, `amps explain ${options.code} explains that code; amps explain --category ${options.category} lists that category`);
  if (options.list || options.category !== undefined) return listCatalogue(options, io);
  if (options.code === undefined) throw new UsageError('name a code to explain', 'amps explain SCHEDULER_ACTIVE, amps explain 409, or amps explain --list');

  // A key pasted where a code goes is not echoed back (in any case: the message upper-cases it).
  if (holdsKeyShape(options.code.toLowerCase())) throw new UsageError('unknown code: what was given looks like an API key, so it is not shown', 'amps explain --list shows every code');
  if (/^\d{3}$/.test(options.code.trim())) {
    const status = options.code.trim();
    const entries = entriesWithStatus(Number(status));
    // A hint only to what explains: HTTP_<n> is a status an error can come with (1xx, 3xx-5xx).
    if (entries.length === 0) throw new UsageError(`no catalogued code has HTTP status ${status}`, localCode(`HTTP_${status}`) ? `amps explain HTTP_${status} explains a ${status} that carries no Amps error` : 'an error comes with a status of 1xx or 300-599; amps explain --list shows every code');
    if (options.json) writeJson(io, entries.map(entryJson));
    else printSummary(entries, io);
    return EXIT.ok;
  }

  const entries = entriesFor(normaliseCode(options.code));
  const local = entries.length === 0 ? localCode(normaliseCode(options.code)) : undefined;
  if (local) return explainLocal(local, options, io);
  if (entries.length === 0) {
    const suggestions = suggestCodes(options.code, 3, localCodeNames());
    // No code is longer than 30 characters: a paste of a whole page is not echoed whole.
    const typed = normaliseCode(options.code);
    throw new UsageError(
      `unknown code '${typed.length > 64 ? `${typed.slice(0, 64)}…` : typed}'`,
      suggestions.length > 0 ? `did you mean ${suggestions.join(', ')}?` : 'amps explain --list shows every code',
    );
  }
  if (options.json) {
    writeJson(io, entries.length === 1 ? entryJson(entries[0]) : entries.map(entryJson));
    return EXIT.ok;
  }
  // Every meaning is shown here, so none of them points to the others: one line says there are several.
  if (entries.length > 1) writeLine(io.stdout, `${entries[0].code} has ${entries.length} meanings; amps tells an answer's apart by its message, then its path, then its status.\n`);
  entries.forEach((entry, i) => {
    if (i > 0) writeLine(io.stdout);
    writeLine(io.stdout, entryText(entry, io).join('\n'));
  });
  return EXIT.ok;
}

export function explainCommand(state: CommandState, runF: Run<ExplainOptions> = run) {
  const command = new Command('explain')
    .description('Explain a canonical error code, offline: meaning, HTTP status, what to do, retry guidance, details fields')
    .argument('[code]', 'a code (any case, dashes or underscores) or an HTTP status such as 409')
    .option('--list', 'list every code, grouped by category')
    .option('--category <name>', 'list only this category\'s codes (with or without --list)')
    .action(async (code, options, cmd) => {
      const globals = globalsOf(cmd);
      state.exitCode = await runF({ code, ...options, json: globals.json }, state.io, state.argv);
    });
  return withExamples(command, [
    'amps explain SCHEDULER_ACTIVE',
    'amps explain scheduler-active --json',
    'amps explain 409',
    'amps explain --list --category conflict',
  ]);
}
