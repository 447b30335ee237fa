// `amps api METHOD PATH`: any request to the API with the configured key and base URL, as `gh api`
// does: the escape hatch to the endpoints amps does not wrap (the docs publish no OpenAPI
// document). `--body FILE` (not gh's --input: --no-input is a global flag). The body as the API sent it on stdout; errors through the one decoder, with its exit
// codes; GETs retried as reads are, writes never unless --retry; --paginate merges list pages.

import { Command, Option } from '@commander-js/extra-typings';
import { HTTP_METHODS, type HttpMethod } from '../api/client.js';
import { EMPTY_PAGE_STOP, MAX_LIST_PAGES, movedPageText, saidAsSent } from '../api/resources.js';
import { globalsOf, type GlobalOptions } from '../config/globals.js';
import { fileOrUrl, repeatable, wholeNumber } from '../config/option-parsers.js';
import { EXIT, type ExitCode, listExitCode } from '../contract/exit-codes.js';
import { holdsKeyShape } from '../contract/keys.js';
import { invalidSuccess } from '../errors/decode.js';
import { ApiFailure, refuseKeyInBody, UsageError } from '../errors/failures.js';
import { isRecord, jsonText, own, percentDecoded, redactUrl, setOwn } from '../lib/values.js';
import { withExamples } from '../output/command-help.js';
import { type CommandState, type IO, type Run, writeJson, writeLine, writeNotice } from '../output/io.js';
import { claimStdinInputs, readFileBounded, readStdin } from '../output/read.js';
import { scrub } from '../output/text.js';
import { announceWrite, withSession } from '../session/connect.js';

export interface ApiOptions extends GlobalOptions {
  method?: string;
  path?: string;
  field?: string[];
  body?: string;
  paginate?: boolean;
  dryRun?: boolean;
  retry?: number;
}

/** The API takes bodies up to 1 MiB. */
const BODY_LIMIT = 1024 * 1024;

function methodOf(text: string | undefined): HttpMethod {
  const method = (text ?? '').toUpperCase();
  if (!(HTTP_METHODS as readonly string[]).includes(method)) throw new UsageError(`'${text ?? ''}' is not an HTTP method amps sends`, `use one of ${HTTP_METHODS.join(', ')}`);
  return method as HttpMethod;
}

const KEY_IN_URL_HINT = 'amps sends the key in the x-api-key header: give it with AMPS_API_KEY, --api-key-file or amps login';

/**
 * A path under the API (`/actions?state=failed`), never a URL, `..`, `#` or a control character; and
 * its query's text as typed (no `?`), sent so, its escapes and separators kept.
 */
function pathOf(text: string | undefined): { path: string; search: string } {
  const raw = text ?? '';
  // First, so no message below quotes one: a URL is logged by servers and proxies, and the key goes in a header.
  if (holdsKeyShape(raw)) throw new UsageError('the path holds what looks like an API key, so it is neither sent nor shown (servers and proxies log URLs)', KEY_IN_URL_HINT);
  if (/^[a-z][a-z0-9+.-]*:/i.test(raw)) throw new UsageError(`'${redactUrl(raw)}' is a URL; amps api takes a path under the API (the base URL is configured)`, 'e.g. amps api GET /actions?state=failed');
  if (!raw.startsWith('/') || raw.startsWith('//')) throw new UsageError(`'${raw}' is not a path under the API`, 'start it with /, e.g. /battery/bat_voltaro_01');
  // Spaces and controls of any script, and the marks that turn text around: percent-encoded if meant.
  if (raw.length > 2048 || /[\p{Cc}\p{Cf}\p{Z}]/u.test(raw)) throw new UsageError('the path holds spaces or control characters (percent-encode them), or is longer than 2048 characters');
  // A URL never sends what follows a #: taken as typed, the rest of the path or query would go unsent.
  if (raw.includes('#')) throw new UsageError(`'${raw}' holds a #, and a request never carries what follows it`, 'percent-encode it (%23) if the API means it');
  const [pathname, search = ''] = raw.split(/\?(.*)/s);
  // URL parsers read a backslash as / and %2e as a dot: either could climb out as .. does.
  if (pathname.includes('\\')) throw new UsageError(`'${raw}' holds a backslash, which URL parsers read as /`, 'percent-encode it (%5C) if the API means it');
  if (pathname.split('/').some((segment) => /^(\.|%2e){1,2}$/i.test(segment))) throw new UsageError(`'${raw}' climbs out of the API with . or .. (or %2e)`);
  return { path: pathname, search };
}

/** A field's value as it goes in a body: its JSON text as typed (numbers past a double kept), or a string. */
class FieldJson {
  constructor(readonly text: string) {}
}

/** `-f name=value`: the value as JSON when it is JSON (5, true, {"a":1}), else text; `a.b=1` nests. */
function fieldsOf(pairs: string[]): Array<{ name: string; value: FieldJson; text: string }> {
  return pairs.map((pair) => {
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq).trim();
    if (eq <= 0 || !/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(name)) throw new UsageError(`-f '${pair}' is not NAME=VALUE`, 'e.g. -f action.command=charge -f limit=50');
    const text = pair.slice(eq + 1);
    let json = JSON.stringify(text);
    try {
      JSON.parse(text);
      // Sent as typed, as --body is: JSON.parse and back would make 1e400 null and round 12345678901234567890.
      json = text.trim();
    } catch {
      // Text.
    }
    return { name, value: new FieldJson(json), text };
  });
}

interface FieldTree {
  [name: string]: FieldTree | FieldJson;
}

/** The body the fields build; a field given twice, or both a value and the parent of another, is refused (one would be dropped). */
function nest(fields: Array<{ name: string; value: FieldJson }>): FieldTree {
  const body: FieldTree = {};
  for (const { name, value } of fields) {
    const keys = name.split('.');
    let at = body;
    for (const [i, key] of keys.slice(0, -1).entries()) {
      const there = own(at, key);
      if (there instanceof FieldJson) throw new UsageError(`-f ${name} puts a field inside ${keys.slice(0, i + 1).join('.')}, which another -f gives a value`, 'give the whole value once, or only its fields');
      // Own properties only: `-f __proto__.x=1` is a field named __proto__, never Object.prototype.
      if (there === undefined) setOwn(at, key, {});
      at = own(at, key) as FieldTree;
    }
    const last = keys.at(-1)!;
    if (own(at, last) instanceof FieldJson) throw new UsageError(`-f ${name} is given twice`, 'a body field takes one value');
    if (own(at, last) !== undefined) throw new UsageError(`-f ${name} gives a value to what other -f fields are inside`, 'give the whole value once, or only its fields');
    setOwn(at, last, value);
  }
  return body;
}

/** The fields' body as JSON text: each value as typed. */
function bodyText(tree: FieldTree): string {
  return `{${Object.entries(tree).map(([name, value]) => `${JSON.stringify(name)}:${value instanceof FieldJson ? value.text : bodyText(value)}`).join(',')}}`;
}

/** A query's text with `limit` and `offset` set to these, its other parameters as typed. */
function withPage(search: string, limit: number, offset: number): string {
  const nameOf = (part: string) => percentDecoded(part.split('=')[0].replace(/\+/g, ' '));
  const kept = search.split('&').filter((part) => part !== '' && nameOf(part) !== 'limit' && nameOf(part) !== 'offset');
  return [...kept, `limit=${limit}`, `offset=${offset}`].join('&');
}

function pageWindow(query: URLSearchParams): { limit: number; offset: number } {
  const read = (name: string, fallback: number, least: number) => {
    const text = query.get(name);
    if (text === null) return fallback;
    if (query.getAll(name).length > 1) throw new UsageError(`--paginate counts pages with ${name}, so it takes one, not ${query.getAll(name).length}`);
    if (!/^\d{1,9}$/.test(text) || Number(text) < least) throw new UsageError(`--paginate counts pages with ${name}, so it takes one whole number from ${least} to 999999999, not '${text}'`);
    return Number(text);
  };
  return { limit: read('limit', 50, 1), offset: read('offset', 0, 0) };
}

export async function run(options: ApiOptions, io: IO): Promise<ExitCode> {
  const method = methodOf(options.method);
  claimStdinInputs(io, options.apiKeyFile, [[`--body ${options.body}`, options.body]]);
  const { path, search } = pathOf(options.path);
  // Fields that go in the query are appended to it, escaped as a form's are.
  const fieldQuery = new URLSearchParams();
  const fields = fieldsOf(options.field ?? []);
  // The body as written: sent byte for byte (numbers past a double, repeated keys and all), only
  // checked to be JSON; fields build one.
  let rawBody: string | undefined;
  if (options.body !== undefined) {
    if (method === 'GET') throw new UsageError('--body sends a body, and a GET has none');
    rawBody = options.body === '-' ? await readStdin(io, { limit: BODY_LIMIT, what: '--body -', strict: true }) : await readFileBounded(options.body, { limit: BODY_LIMIT, what: '--body', stop: () => io.signal, strict: true });
    try {
      JSON.parse(rawBody);
    } catch {
      // Sent byte for byte, a body is not cleaned up: say what is wrong with it.
      if (rawBody.trim() === '') throw new UsageError(`--body ${options.body} is empty, so it is not JSON`);
      if (rawBody.startsWith('\ufeff')) throw new UsageError(`--body ${options.body} starts with a byte-order mark, which JSON sent on the wire does not carry (RFC 8259)`, 'save the file without it (UTF-8 without BOM); push --body drops it, since it re-serialises the body');
      throw new UsageError(`--body ${options.body} is not JSON`);
    }
    for (const f of fields) fieldQuery.append(f.name, f.text);
  } else if (method === 'GET' || method === 'DELETE') {
    for (const f of fields) fieldQuery.append(f.name, f.text);
  } else if (fields.length > 0) rawBody = bodyText(nest(fields));
  if (options.paginate && method !== 'GET') throw new UsageError('--paginate reads list pages: it goes with GET');
  const fieldText = fieldQuery.toString();
  // The path's own query was checked with the path (pathOf).
  if (holdsKeyShape(fieldText)) throw new UsageError('a field sent in the query holds what looks like an API key, so it is neither sent nor shown (servers and proxies log URLs)', KEY_IN_URL_HINT);
  const query = [search, fieldText].filter((part) => part !== '').join('&');
  const window = options.paginate ? pageWindow(new URLSearchParams(query)) : undefined;
  const shown = `${method} ${path}${query !== '' ? `?${query}` : ''}`;
  // Before --dry-run prints it; the client refuses to send it too.
  refuseKeyInBody(rawBody);
  if (options.dryRun) {
    // With --json stderr stays clear of notes for people, but for a request with no body to print,
    // which would print nothing at all: then as a notice.
    if (!options.quiet) {
      if (!options.json) writeLine(io.stderr, io.err.dim(`dry run: nothing was sent (would ${shown})`));
      else if (rawBody === undefined) writeNotice(io, true, `dry run: nothing was sent (would ${shown})`);
    }
    if (rawBody !== undefined) io.stdout.write(rawBody.endsWith('\n') ? rawBody : `${rawBody}\n`);
    return EXIT.ok;
  }
  return withSession(options, io, async (session) => {
    // Its stdout is the API's body alone: with --json, where the write went is a notice.
    if (method !== 'GET') announceWrite(session, io, options, { jsonCarriesWhere: false });
    const retries = method === 'GET' ? undefined : options.retry ?? 0;
    if (!window) {
      const response = await session.client.request(method, path, { query, rawBody, retries, anyBody: true }).catch((error: unknown) => {
        throw method === 'GET' ? error : saidAsSent(error, `The ${method} was sent; read back what it changed before sending it again`);
      });
      printBody(io, response.raw);
      return EXIT.ok;
    }
    // One JSON array of every page's items, written as the pages come: memory stays flat. A
    // failure once it has opened leaves it unclosed: no JSON reader takes part of a list for all of it.
    let { offset } = window;
    let first = true;
    /** Set when the pages stopped before the list's end: exit 8, though every page read is written. */
    let cut = false;
    for (let page = 0; ; page++) {
      if (page >= MAX_LIST_PAGES) {
        writeNotice(io, options.json, `--paginate stopped after ${MAX_LIST_PAGES} pages; go on with -f offset=${offset}`);
        cut = true;
        break;
      }
      const response = await session.client.request<unknown>(method, path, { query: withPage(query, window.limit, offset) });
      const data = response.data;
      if (!isRecord(data) || !Array.isArray(data.items)) {
        if (page === 0) throw new UsageError(`${path} answered its GET without a list page (data.items), so there is nothing to paginate`, 'leave out --paginate');
        throw new ApiFailure(invalidSuccess(response.status, `page ${page + 1} of a list that is not a list page (data.items)`, typeof response.meta.requestId === 'string' ? response.meta.requestId : undefined));
      }
      const pagination = isRecord(data.pagination) ? data.pagination : {};
      const moved = movedPageText(pagination.offset, offset, data.items.length);
      if (moved) {
        // As listPages stops a typed list: said, the list so far (none, on a first page) kept.
        writeNotice(io, options.json, `--paginate stopped ${moved}; go on with -f offset=${offset}`);
        if (page === 0) io.stdout.write('[');
        cut = true;
        break;
      }
      // The array opens once the first page is a list: a failure before it leaves stdout empty.
      if (page === 0) io.stdout.write('[');
      for (const item of data.items) {
        io.stdout.write(`${first ? '\n' : ',\n'}${jsonText(item)}`);
        first = false;
      }
      offset += data.items.length;
      // A server that says hasMore past its own total is not followed on (as listPages does).
      const total = typeof pagination.total === 'number' && Number.isSafeInteger(pagination.total) && pagination.total >= 0 ? pagination.total : undefined;
      if (pagination.hasMore === true && data.items.length === 0) {
        // Read on, the same offset would be read again: said, as the page cap is.
        writeNotice(io, options.json, `--paginate stopped ${EMPTY_PAGE_STOP}; go on with -f offset=${offset}`);
        cut = true;
        break;
      }
      if (pagination.hasMore !== true || (total !== undefined && offset >= total) || io.outputClosed.aborted) break;
    }
    io.stdout.write(first ? ']\n' : '\n]\n');
    return listExitCode(cut);
  });
}

/** The body as the API sent it; indented on a terminal (as --json is everywhere), as is when piped. */
function printBody(io: IO, raw: string): void {
  if (raw.trim() === '') return;
  if (io.stdoutIsTTY) {
    try {
      writeJson(io, JSON.parse(raw));
      return;
    } catch {
      // Not JSON: as it came, less what would act on the terminal.
      io.stdout.write(`${scrub(raw, true).replace(/\n$/, '')}\n`);
      return;
    }
  }
  io.stdout.write(raw.endsWith('\n') ? raw : `${raw}\n`);
}

export function apiCommand(state: CommandState, runF: Run<ApiOptions> = run) {
  const command = new Command('api')
    .description('Send any request to the API with the configured key and base URL; the body on stdout (like gh api)')
    .argument('<method>', HTTP_METHODS.join(', '))
    .argument('<path>', 'a path under the API, with its query: /actions?state=failed')
    .option('-f, --field <name=value>', 'a query parameter (GET, DELETE, or with --body), else a body field; a.b=1 nests, JSON values are typed (repeatable)', repeatable)
    .option('--body <file>', 'the request body, JSON (- reads stdin), as push --body', fileOrUrl('--body'))
    .option('--paginate', 'GET every page (offset/limit) and print one JSON array of their items')
    .option('--dry-run', 'print what would be sent; send nothing')
    .addOption(new Option('--retry <n>', 'retry a write up to n times, as the docs\' retry table says (never after a lost answer or a 2xx)').argParser(wholeNumber('--retry', 0, 10)))
    .action(async (method, path, options, cmd) => {
      state.exitCode = await runF({ ...globalsOf(cmd), ...options, method, path }, state.io, state.argv);
    });
  return withExamples(command, [
    'amps api GET /battery/bat_voltaro_01',
    'amps api GET /actions -f state=failed --paginate | jq length',
    'amps api POST /battery/bat_voltaro_01 -f action.command=charge -f onConflict=cancel_and_replace',
    'amps api PUT /battery/bat_voltaro_01/schedule --body schedule.json',
  ]);
}
