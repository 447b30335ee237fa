// `amps sandbox reset`: the seeded fleet again (the previous state kept as a copy).

import { Command } from '@commander-js/extra-typings';
import { globalsOf, type GlobalOptions } from '../../config/globals.js';
import { sandboxStateFile } from '../../config/paths.js';
import { fileOrUrl } from '../../config/option-parsers.js';
import { EXIT, type ExitCode } from '../../contract/exit-codes.js';
import { withExamples } from '../../output/command-help.js';
import { redactUrl } from '../../lib/values.js';
import { type CommandState, type IO, type Run, writeJson, writeLine } from '../../output/io.js';

export interface ResetOptions extends GlobalOptions {
  state?: string;
}

export async function run(options: ResetOptions, io: IO): Promise<ExitCode> {
  // The sandbox in use, as sandbox secret and deliveries read it: a served one (AMPS_API_URL, a
  // profile) is reset over its /_sandbox/reset route, never the embedded one in its place.
  if (options.state === undefined) {
    const { targetsEmbedded } = await import('../../config/resolve.js');
    if (!targetsEmbedded(options, io.env)) return resetServed(options, io);
  }
  const { resetStateFile } = await import('../../sandbox/store.js');
  const file = options.state ?? sandboxStateFile(io.env);
  const kept = await resetStateFile(file, () => io.signal);
  if (options.json) writeJson(io, { reset: true, state: file, keptAs: kept ?? null });
  else if (!options.quiet) writeLine(io.stderr, `Sandbox reset to the seeded fleet (${file}).${kept ? ` The state before is kept as ${kept}.` : ''}`);
  return EXIT.ok;
}

async function resetServed(options: ResetOptions, io: IO): Promise<ExitCode> {
  const [{ resetSandbox }, { withSession }, { sandboxCall }] = await Promise.all([import('../../api/resources.js'), import('../../session/connect.js'), import('../../session/sandbox-routes.js')]);
  return withSession(options, io, async (session) => {
    await sandboxCall(session, 'resets', () => resetSandbox(session.client), 'nothing resets the hosted API\'s devices; a test key\'s sandbox, or the embedded one (configure nothing), is reset so');
    const where = redactUrl(session.target.apiUrl.value ?? '');
    if (options.json) writeJson(io, { reset: true, state: null, sandbox: where, keptAs: null });
    else if (!options.quiet) writeLine(io.stderr, `Sandbox at ${where} reset to the seeded fleet.`);
    return EXIT.ok;
  });
}

export function resetCommand(state: CommandState, runF: Run<ResetOptions> = run) {
  const command = new Command('reset')
    .description('Restore the seeded fleet of the sandbox in use (embedded, or the served one AMPS_API_URL names): forget every action, setting change and cleared schedule')
    .option('--state <file>', 'reset this state file instead of the embedded sandbox\'s', fileOrUrl('--state'))
    .action(async (options, cmd) => {
      state.exitCode = await runF({ ...globalsOf(cmd), ...options }, state.io, state.argv);
    });
  return withExamples(command, ['amps sandbox reset']);
}
