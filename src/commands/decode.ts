import { readFile } from 'node:fs/promises';
import { Command } from '@commander-js/extra-typings';
import { catalogueStatusOf, decodeResponse, type Headers } from '../errors/decode.js';
import { EXIT, type ExitCode } from '../errors/exit-codes.js';
import { UsageError } from '../errors/failures.js';
import { errorToJson, renderErrorText } from '../output/error-view.js';
import { globalsOf } from '../config/globals.js';
import { withExamples } from '../output/command-help.js';
import { type CommandState, type IO, writeJson, writeLine } from '../output/io.js';
import { readStream } from '../output/read.js';

export interface DecodeOptions {
  file?: string;
  status?: number;
  json?: boolean;
}

export interface SavedResponse {
  status?: number;
  headers: Headers;
  body: string;
}

/**
 * A response as support engineers paste it: a bare body, or a raw HTTP response (`curl -i`) with
 * its status line and headers. Interim 1xx blocks before the real response are skipped.
 */
export function parseSavedResponse(text: string): SavedResponse {
  let rest = text.replace(/^\uFEFF/, '').trimStart();
  let parsed: SavedResponse | undefined;
  while (/^HTTP\/\d(\.\d)? \d{3}/.test(rest)) {
    const normalised = rest.replace(/\r\n/g, '\n');
    const split = normalised.indexOf('\n\n');
    const head = split === -1 ? normalised : normalised.slice(0, split);
    const [statusLine, ...headerLines] = head.split('\n');
    const headers: Headers = {};
    for (const line of headerLines) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const status = Number(/^HTTP\/\S+ (\d{3})/.exec(statusLine)![1]);
    rest = split === -1 ? '' : normalised.slice(split + 2);
    parsed = { status, headers, body: rest };
    if (status >= 200) break;
    rest = rest.trimStart();
  }
  return parsed ?? { headers: {}, body: text };
}

async function readInput(options: DecodeOptions, io: IO): Promise<string> {
  if (options.file !== undefined && options.file !== '-') {
    try {
      return await readFile(options.file, 'utf8');
    } catch (error) {
      throw new UsageError(`cannot read ${options.file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
  if (options.file === undefined && io.stdinIsTTY) {
    throw new UsageError('give a file to decode, or pipe a response into amps decode -', 'pbpaste | amps decode -');
  }
  return readStream(io.stdin);
}

export async function run(options: DecodeOptions, io: IO): Promise<ExitCode> {
  const text = await readInput(options, io);
  const saved = parseSavedResponse(text);
  const status = options.status ?? saved.status ?? catalogueStatusOf(saved.body);
  if (status === undefined) {
    throw new UsageError('the response has no HTTP status and its code is not catalogued', 'pass it with --status N');
  }
  const result = decodeResponse(status, saved.headers, saved.body);
  if (result.ok) {
    if (options.json) writeJson(io, { error: null, status, data: result.value.data, meta: result.value.meta });
    else writeLine(io.stdout, `Not an error: HTTP ${status} with a success body.`);
    return EXIT.ok;
  }
  if (options.json) writeJson(io, errorToJson(result.error));
  else io.stdout.write(await renderErrorText(result.error, { style: io.out, tty: io.stdoutIsTTY, columns: io.columns }));
  return result.error.exitCode;
}

export function decodeCommand(state: CommandState) {
  const command = new Command('decode')
    .description('Decode a saved API response (a bare envelope, or a raw HTTP response as pasted from a ticket)')
    .argument('[file]', 'the saved response; - reads stdin')
    .option('--status <n>', 'the HTTP status, when the saved body lacks a status line', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 100 || n > 599) throw new UsageError(`--status takes an HTTP status (100-599), not '${v}'`);
      return n;
    })
    .action(async (file, options, cmd) => {
      const globals = globalsOf(cmd);
      state.exitCode = await run({ file, status: options.status, json: globals.json }, state.io);
    });
  return withExamples(command, [
    'amps decode response.txt',
    'curl -si https://api.amps.ai/battery/dev_1 -H "x-api-key: $KEY" | amps decode -',
    'amps decode --status 409 envelope.json --json',
  ]);
}
