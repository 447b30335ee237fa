import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import type { Command } from '@commander-js/extra-typings';
import { describe, expect, it } from 'vitest';
import { buildProgram, commandList, commandNameIn } from '../src/cli.js';
import { plainIO } from '../src/output/io.js';
import { seededDevices } from '../src/sandbox/fleet.js';
import { STOPPED } from '../src/batch/report.js';
import { cleanEnv, runCli } from './helpers/cli.js';

/** Every command a person is shown (a group's hidden `help` is not one), with its path. */
function walk(command: Command, path: string[] = []): Array<[string, Command]> {
  return (command.createHelp().visibleCommands(command) as Command[]).flatMap((c) => {
    const here = [...path, c.name()];
    return [[here.join(' '), c as Command] as [string, Command], ...walk(c as Command, here)];
  });
}

describe('help', () => {
  it('gives every command a description and at least one example', async () => {
    const io = plainIO({ stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough() });
    const program = await buildProgram({ io, exitCode: 0, argv: [] }, [], { everyCommand: true });
    const commands = walk(program);
    expect(commands.length).toBeGreaterThan(15);
    for (const [name, command] of commands) {
      expect(command.description(), name).not.toBe('');
      let help = '';
      command.configureOutput({ writeOut: (s) => (help += s) }).outputHelp();
      expect(help, name).toMatch(/Examples:\n {2}\$ amps /);
    }
  });

  it('the committed command list is what the commands say now (run npm run completions)', async () => {
    const committed = JSON.parse(readFileSync(new URL('../src/commands/command-list.json', import.meta.url), 'utf8'));
    expect(await commandList()).toEqual(committed);
  });

  it('lists the commands from the command list exactly as with every command loaded, and loads a command named after help', async () => {
    const io = () => plainIO({ stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough() });
    const every = await buildProgram({ io: io(), exitCode: 0, argv: [] }, [], { everyCommand: true });
    const listed = await buildProgram({ io: io(), exitCode: 0, argv: ['help'] }, ['help']);
    expect(listed.helpInformation()).toBe(every.helpInformation());
    // Stand-ins: no options of their own. `amps help push` loads push itself.
    const push = (program: Command) => program.commands.find((c) => c.name() === 'push')!;
    expect(push(listed).options).toEqual([]);
    const named = await buildProgram({ io: io(), exitCode: 0, argv: ['help', 'push'] }, ['help', 'push']);
    expect(push(named).helpInformation()).toBe(push(every).helpInformation());
    const completion = (program: Command) => program.commands.find((c) => c.name() === 'completion')!;
    const helpCompletion = await buildProgram({ io: io(), exitCode: 0, argv: ['help', 'completion'] }, ['help', 'completion']);
    expect(completion(helpCompletion).helpInformation()).toBe(completion(every).helpInformation());
    const r = await runCli(['help', 'push']);
    expect([r.code, r.stdout]).toEqual([0, expect.stringContaining('--power')]);
    const typo = await runCli(['scheduels']);
    expect([typo.code, typo.stderr]).toEqual([2, "amps: unknown command 'scheduels'\n(Did you mean schedules?)\n"]);
  });

  it('finds the command name past global options and their values', () => {
    expect(commandNameIn(['--profile', 'prod', '--json', 'get', 'battery', 'x'])).toBe('get');
    expect(commandNameIn(['--version'])).toBeUndefined();
  });

  it('prints the exit codes and the environment as topics', async () => {
    const codes = await runCli(['help', 'exit-codes']);
    expect(codes.code).toBe(0);
    for (const code of [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 130]) expect(codes.stdout).toMatch(new RegExp(`^\\s+${code}  `, 'm'));
    const env = await runCli(['help', 'environment']);
    expect(env.stdout).toContain('AMPS_API_KEY');
    expect(env.stdout).toContain('Precedence: flags > AMPS_* environment variables > the selected profile > the embedded sandbox');
  });

  it('amps help exit-codes and the README\'s table say the same, row for row', async () => {
    const { EXIT_CODE_TABLE } = await import('../src/contract/exit-codes.js');
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## Exit codes'), readme.indexOf('## Webhooks'));
    const rows = section.split('\n').filter((line) => /^\| \d/.test(line)).map((line) => {
      const [code, meaning, from] = line.slice(1, -1).split(' | ').map((cell) => cell.trim().replace(/`/g, ''));
      return { code: Number(code), meaning, from };
    });
    expect(rows).toEqual(EXIT_CODE_TABLE);
    const help = (await runCli(['help', 'exit-codes'])).stdout;
    for (const row of EXIT_CODE_TABLE.filter((r) => r.from)) expect(help.replace(/\s+/g, ' '), String(row.code)).toContain(row.from.replace(/\s+/g, ' '));
  });

  it('a mistyped help topic or command gets the closest names', async () => {
    for (const [topic, hint] of [[['pus'], 'did you mean amps help push?'], [['config', 'sett'], 'did you mean amps help config set?'], [['envirnment'], 'did you mean amps help environment?'], [['actoins', 'list'], 'did you mean amps help actions?'], [['confg', 'set'], 'did you mean amps help config?']] as const) {
      const r = await runCli(['help', ...topic]);
      expect([r.code, r.stderr], topic.join(' ')).toEqual([2, `amps: no help topic or command '${topic.join(' ')}'\n  hint: ${hint}\n`]);
    }
  });

  it('prints the version with the node version and platform', async () => {
    const r = await runCli(['--version']);
    expect(r.stdout.trim()).toMatch(/^amps \d+\.\d+\.\d+ \(node v\d+\.\d+\.\d+, \w+-\w+\)$/);
    // With --json, one JSON line, as every --json output is JSON.
    const json = await runCli(['--version', '--json']);
    expect([json.code, JSON.parse(json.stdout)]).toEqual([0, { version: expect.stringMatching(/^\d+\.\d+\.\d+$/), node: process.version, platform: `${process.platform}-${process.arch}` }]);
  });

  it('lists every seeded sandbox device in the README', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    for (const device of seededDevices()) expect(readme, device.id).toContain(`| \`${device.id}\` |`);
  });

  it('refuses what names nothing: a group\'s help for a command it lacks, a topic with words after it, --list with a code', async () => {
    const cases: Array<[string[], string]> = [
      [['actions', 'help', 'bogus'], "amps: amps actions has no command 'bogus'"],
      [['config', 'help', 'bogus'], "amps: amps config has no command 'bogus'"],
      [['help', 'exit-codes', 'extra'], "amps: no help topic 'exit-codes extra'"],
      [['explain', '--list', '--category', 'transport', 'extra'], "amps: --list lists the catalogue; it takes no code ('extra')"],
      [['explain', 'SCHEDULER_ACTIVE', '--category', 'transport'], "amps: --category lists the catalogue's codes of a category; it takes no code ('SCHEDULER_ACTIVE')"],
      // A hint only to a command that explains: HTTP_999 is no status an error comes with.
      [['explain', '999'], 'amps: no catalogued code has HTTP status 999'],
      // A key given as a code is not echoed back.
      [['explain', 'amps_sk_test_pastedAsACode1'], 'amps: unknown code: what was given looks like an API key, so it is not shown'],
    ];
    for (const [args, said] of cases) {
      const r = await runCli(args);
      expect([r.code, r.stdout, r.stderr.split('\n')[0]], args.join(' ')).toEqual([2, '', said]);
      expect(r.stderr, args.join(' ')).not.toMatch(/pastedAsACode1|HTTP_999/i);
    }
    const gateway = await runCli(['explain', '504']);
    expect(gateway.code).toBe(0);
    const teapot = await runCli(['explain', '418']);
    expect([teapot.code, teapot.stderr.split('\n')[1]]).toEqual([2, '  hint: amps explain HTTP_418 explains a 418 that carries no Amps error']);
    // A group's help for a command it has is that command's help.
    const known = await runCli(['actions', 'help', 'list']);
    expect([known.code, known.stdout.split('\n')[0]]).toEqual([0, 'Usage: amps actions list [options]']);
    // A group without its verb prints its help as asked for: stdout (`amps config | less`), exit 0.
    for (const group of ['actions', 'config', 'sandbox', 'schedule', 'schedules', 'webhooks', 'link']) {
      const bare = await runCli([group]);
      expect([bare.code, bare.stdout.split('\n')[0], bare.stderr], group).toEqual([0, `Usage: amps ${group} [options] [command]`, '']);
    }
  });

  it('names every reason a fleet run stops early, as --json\'s summary gives it', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8').replace(/\s+/g, ' ');
    const sentence = /whose `stoppedBy` is `null` for a run that went to the end of its list, else ([^;]+);/.exec(readme)?.[1] ?? '';
    expect(sentence.match(/`[a-z_]+`/g)?.map((r) => r.slice(1, -1)).sort()).toEqual(Object.keys(STOPPED).sort());
  });
});

describe('environment variables', () => {
  it('documents every AMPS_* variable the source reads, in the help topic and the README', async () => {
    const { readdirSync, statSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { ENVIRONMENT_VARIABLES } = await import('../src/config/environment.js');
    const src = new URL('../src/', import.meta.url).pathname;
    const files = (dir: string): string[] => readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : [join(dir, f)]));
    const read = new Set(files(src).flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/\benv\.(AMPS_[A-Z_]+)/g)].map((m) => m[1])));
    expect(read.size).toBeGreaterThan(4);
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    for (const name of read) {
      expect(ENVIRONMENT_VARIABLES.some((v) => v.name.includes(name)), name).toBe(true);
      expect(readme, name).toContain(`\`${name}\``);
    }
    // And the other way: every variable the README's table lists is in the help topic.
    const tabled = [...readme.matchAll(/^\| ((?:`[A-Z_]+`(?:, )?)+) \|/gm)].flatMap((m) => [...m[1].matchAll(/`([A-Z_]+)`/g)].map((n) => n[1]));
    expect(tabled.length).toBeGreaterThan(15);
    for (const name of tabled) expect(ENVIRONMENT_VARIABLES.some((v) => v.name.split(', ').includes(name)), name).toBe(true);
  });
});

describe('start-up stays light', () => {
  it.each([
    [['--version']],
    [['explain', 'SCHEDULER_ACTIVE']],
    [['decode', '--status', '410', '-']],
    [['push', 'battery', 'b1', 'charge', '--power', '5kw', '--dry-run', '--no-preflight']],
    [['help', 'exit-codes']],
  ])('amps %j loads none of the vendored heavy packages', async (args) => {
    const { spawnSync } = await import('node:child_process');
    const cli = new URL('../dist/cli.cjs', import.meta.url).pathname;
    const script = `require(${JSON.stringify(cli)}).main(${JSON.stringify(args)}).then(() => process.stderr.write('\\nLOADED ' + JSON.stringify(Object.keys(require.cache).filter((k) => k.includes('/vendor/')))));`;
    const r = spawnSync(process.execPath, ['-e', script], { input: '{}', encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(r.stderr).toContain('LOADED []');
  });

  it('a single request loads no vendored package (Node\'s HTTP); a fleet push loads undici, and only undici', async () => {
    const { spawnSync } = await import('node:child_process');
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const cli = new URL('../dist/cli.cjs', import.meta.url).pathname;
    const loaded = (args: string[]) => {
      const script = `require(${JSON.stringify(cli)}).main(${JSON.stringify(args)}).then(() => process.stderr.write('\\nLOADED ' + JSON.stringify(Object.keys(require.cache).filter((k) => k.includes('/vendor/')).map((k) => k.split('/').pop()))));`;
      return spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: cleanEnv({ NO_COLOR: '1' }) as NodeJS.ProcessEnv }).stderr;
    };
    expect(loaded(['devices', 'vehicle'])).toContain('LOADED []');
    const devices = join(mkdtempSync(join(tmpdir(), 'amps-fleet-')), 'fleet.txt');
    writeFileSync(devices, 'bat_voltaro_01\nbat_voltaro_02\n');
    expect(loaded(['push', 'battery', '--devices', devices, 'charge', '--power', '3kw', '--json'])).toContain('LOADED ["undici.cjs"]');
  });
});
