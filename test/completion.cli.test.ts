import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { freshConfigDir, runCli } from './helpers/cli.js';

const completions = fileURLToPath(new URL('../completions/', import.meta.url));
const FILES = { bash: 'amps.bash', zsh: '_amps', fish: 'amps.fish' } as const;

describe('shell completions', () => {
  it.each(Object.entries(FILES))('the committed %s script is what amps generates now (run npm run completions)', async (shell, file) => {
    const r = await runCli(['completion', shell]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(readFileSync(join(completions, file), 'utf8'));
  });

  it('refuses an unknown shell in one line, exit 2', async () => {
    const r = await runCli(['completion', 'tcsh']);
    expect([r.code, r.stderr.split('\n')[0]]).toEqual([2, 'amps: amps has no completion for tcsh: it writes bash, zsh, fish']);
    const none = await runCli(['completion']);
    expect([none.code, none.stderr.split('\n')[0]]).toEqual([2, 'amps: name a shell: bash, zsh, fish']);
    // --write to where no folder can be made: one line, exit 2.
    const file = join(freshConfigDir(), 'a-file');
    writeFileSync(file, '');
    for (const target of [file, join(file, 'sub'), '/dev/null/x']) {
      const w = await runCli(['completion', '--write', target]);
      expect([w.code, w.stderr.split('\n')[0]], target).toEqual([2, expect.stringContaining(`amps: cannot write the completion scripts to ${target}`)]);
    }
    const empty = await runCli(['completion', '--write', '']);
    expect([empty.code, empty.stderr.split('\n')[0]]).toEqual([2, 'amps: --write is empty']);
  });

  const bash = (line: string[], cwd?: string) => {
    const script = `source ${join(completions, FILES.bash)}; COMP_WORDS=(${line.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=$((\${#COMP_WORDS[@]}-1)); _amps; printf '%s\\n' "\${COMPREPLY[@]}"`;
    return execFileSync('bash', ['-c', script], { encoding: 'utf8', cwd }).trim().split('\n');
  };

  it('bash completes subcommands, options, device types, commands per type, codes', () => {
    expect(bash(['amps', 'pu'])).toEqual(['push']);
    // Only the families a command takes: push and settings refuse the others.
    expect(bash(['amps', 'push', ''])).toEqual(['battery', 'ev-charger', 'hvac']);
    expect(bash(['amps', 'settings', ''])).toEqual(['battery', 'ev-charger']);
    expect(bash(['amps', 'get', ''])).toEqual(['battery', 'ev-charger', 'hvac', 'solar-inverter', 'vehicle']);
    // After the type comes the id, which is not guessed; the command after the id, or after the type with --devices.
    expect(bash(['amps', 'push', 'hvac', ''])).toEqual(['']);
    expect(bash(['amps', '--profile', 'prod', 'pu'])).toEqual(['push']);
    expect(bash(['amps', 'push', 'ev-charger', 'ev_1', ''])).toEqual(['charge', 'idle']);
    // Any spelling push takes (until now the canonical names alone offered commands).
    for (const spelling of ['ev', 'ev-chargers', 'charger']) expect(bash(['amps', 'push', spelling, 'ev_1', '']), spelling).toEqual(['charge', 'idle']);
    expect(bash(['amps', 'push', 'batteries', 'b', 'id'])).toEqual(['idle']);
    expect(bash(['amps', 'push', 'battery', 'b', 'charge', '--on-conflict', ''])).toEqual(['cancel_and_replace', 'queue_after']);
    expect(bash(['amps', 'push', 'battery', 'b', 'charge', '--pow'])).toEqual(['--power']);
    expect(bash(['amps', 'explain', 'SCHEDULER_'])).toEqual(['SCHEDULER_ACTIVE', 'SCHEDULER_FULL']);
    expect(bash(['amps', 'actions', ''])).toEqual(['list', 'get', 'cancel', 'wait']);
    // After the subcommand, not the subcommands again.
    expect(bash(['amps', 'actions', 'get', ''])).toEqual(['']);
    expect(bash(['amps', 'webhooks', 'trigger', 'push.'])).toEqual(['push.completed', 'push.failed']);
    expect(bash(['amps', 'webhooks', 'trigger', 'push.failed', ''])).toEqual(['']);
    expect(bash(['amps', 'config', 'set', ''])).toEqual(['api-key', 'api-url', 'app-id']);
    expect(bash(['amps', 'config', 'unset', 'api-'])).toEqual(['api-key', 'api-url']);
    expect(bash(['amps', 'explain', '--list', '--category', 'con'])).toEqual(['conflict']);
    expect(bash(['amps', 'listen', '--events', 'device.d'])).toEqual(['device.disconnected']);
    // amps' own codes, which its errors and ledgers carry, are codes too; a hidden option is not offered.
    expect(bash(['amps', 'explain', 'CLIENT'])).toEqual(['CLIENT_TIMEOUT']);
    expect(bash(['amps', 'explain', 'OUTPUT_'])).toEqual(['OUTPUT_LOST']);
    expect(bash(['amps', 'completion', '--w'])).toEqual(['']);
    // --state: an action state for actions, a file for the sandbox.
    expect(bash(['amps', 'actions', 'list', '--state', 'sch'])).toEqual(['scheduled']);
    expect(bash(['amps', 'schedules', 'list', '--state', ''])).toEqual(['pending', 'active', 'completed', 'cancelled']);
    // No command again after the command.
    expect(bash(['amps', 'push', 'battery', 'b', 'charge', ''])).toEqual(['']);
    expect(bash(['amps', 'push', 'battery', '--devices', 'f.txt', ''])).toContain('charge');
    expect(bash(['amps', 'sandbox', 'serve', '--state', join(completions, 'amps.b')])).toEqual([join(completions, 'amps.bash')]);
    // Thirty-odd completions in a row, each starting amps: 17 s alone on two cores, 42 s beside the other files.
  }, 90_000);

  it('bash completes file names whole, spaces and glob characters too, where a file goes (and never runs one)', () => {
    const dir = freshConfigDir();
    for (const name of ['my resp.txt', '*', 'x[1].json', 'a$(touch PWNED)b']) writeFileSync(join(dir, name), '');
    expect(bash(['amps', 'decode', 'my'], dir)).toEqual(['my resp.txt']);
    expect(bash(['amps', 'watch', '--ledger', 'x'], dir)).toEqual(['x[1].json']);
    expect(bash(['amps', 'push', '--resume', ''], dir).sort()).toEqual(['*', 'a$(touch PWNED)b', 'my resp.txt', 'x[1].json']);
    expect(bash(['amps', 'webhooks', 'verify', 'a'], dir)).toEqual(['a$(touch PWNED)b']);
    expect(existsSync(join(dir, 'PWNED'))).toBe(false);
  });

  it('bash reads a word bash split at : or = as one (--at 22:00, --at=22:00, --devices=FILE)', () => {
    // As bash hands them over: COMP_WORDS split at COMP_WORDBREAKS, and the line as typed.
    const complete = (line: string, words: string[]) => {
      const script = `source ${join(completions, FILES.bash)}; COMP_LINE=${JSON.stringify(line)}; COMP_POINT=\${#COMP_LINE}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=$((\${#COMP_WORDS[@]}-1)); _amps; printf '%s\\n' "\${COMPREPLY[@]}"`;
      return execFileSync('bash', ['-c', script], { encoding: 'utf8' }).trim().split('\n');
    };
    const hvac = ['heat', 'cool', 'auto', 'idle', 'follow_schedule'];
    expect(complete('amps push hvac --devices f.csv --at 22:00 ', ['amps', 'push', 'hvac', '--devices', 'f.csv', '--at', '22', ':', '00', ''])).toEqual(hvac);
    expect(complete('amps push hvac --at=22:00 h1 ', ['amps', 'push', 'hvac', '--at', '=', '22', ':', '00', 'h1', ''])).toEqual(hvac);
    expect(complete('amps push hvac --devices=f.csv ', ['amps', 'push', 'hvac', '--devices', '=', 'f.csv', ''])).toEqual(hvac);
  });

  it('zsh completes on the first Tab of a shell: autoloaded from $fpath, the file completes as it defines _amps', () => {
    const driver = `fpath=(${completions} $fpath); autoload -Uz _amps
compadd() { local a; for a in "$@"; do [[ "$a" == -* ]] || print -r -- "$a"; done }
words=(amps push hvac h1 ''); CURRENT=5; PREFIX=''; _amps`;
    expect(execFileSync('zsh', ['-f', '-c', driver], { encoding: 'utf8' }).trim().split('\n')).toEqual(['heat', 'cool', 'auto', 'idle', 'follow_schedule']);
  });

  it('bash completes profile names from the configuration; a name a shell would expand, a key or escapes are never offered nor run', async () => {
    const dir = freshConfigDir();
    const marker = join(dir, 'ran');
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ profiles: { prod: {}, [`$(touch ${marker})`]: {}, amps_sk_live_PASTEDSECRET999: {}, 'p\u001b[31mRED': {}, staging: {} } }));
    const bin = fileURLToPath(new URL('../bin/', import.meta.url));
    const env = { ...process.env, AMPS_CONFIG_DIR: dir, PATH: `${bin}:${process.env.PATH}` };
    for (const line of ["amps --profile ''", "amps config use ''"]) {
      const script = `source ${join(completions, FILES.bash)}; COMP_WORDS=(${line}); COMP_CWORD=$((\${#COMP_WORDS[@]}-1)); _amps; printf '%s\\n' "\${COMPREPLY[@]}"`;
      expect(execFileSync('bash', ['-c', script], { encoding: 'utf8', env }).trim().split('\n'), line).toEqual(['prod', 'staging']);
    }
    const zsh = `autoload -U compinit; compinit -u 2>/dev/null; source ${join(completions, FILES.zsh)}
compadd() { local a; for a in "$@"; do [[ "$a" == -* ]] || print -r -- "$a"; done }
words=(amps config use ''); CURRENT=4; PREFIX=''; _amps`;
    expect(execFileSync('zsh', ['-c', zsh], { encoding: 'utf8', env }).trim().split('\n')).toEqual(['prod', 'staging']);
    const fish = execFileSync('fish', ['-c', `source ${join(completions, FILES.fish)}; complete -C 'amps config use '`], { encoding: 'utf8', env });
    expect(fish.trim().split('\n').sort()).toEqual(['prod', 'staging']);
    const prefixed = `source ${join(completions, FILES.bash)}; COMP_WORDS=(amps --profile st); COMP_CWORD=2; _amps; printf '%s\\n' "\${COMPREPLY[@]}"`;
    expect(execFileSync('bash', ['-c', prefixed], { encoding: 'utf8', env }).trim()).toBe('staging');
    expect(existsSync(marker)).toBe(false);
  });

  it('zsh offers the same words', () => {
    const zsh = (words: string[]) => {
      const driver = `autoload -U compinit; compinit -u 2>/dev/null; source ${join(completions, FILES.zsh)}
compadd() { local a; for a in "$@"; do [[ "$a" == -* ]] || print -r -- "$a"; done }
_describe() { print -rl -- \${\${(P)2}%%:*} }
words=(${words.map((w) => `'${w}'`).join(' ')}); CURRENT=${words.length}; PREFIX=''; _amps`;
      return execFileSync('zsh', ['-c', driver], { encoding: 'utf8' }).trim().split('\n');
    };
    expect(zsh(['amps', 'push', 'hvac', 'h1', ''])).toEqual(['heat', 'cool', 'auto', 'idle', 'follow_schedule']);
    expect(zsh(['amps', 'config', 'set', ''])).toEqual(['api-key', 'api-url', 'app-id']);
    expect(zsh(['amps', 'webhooks', 'trigger', ''])).toContain('schedule.slot_failed');
    expect(zsh(['amps', 'explain', '--category', ''])).toContain('manufacturer-auth');
    // An alias is a command word too, as bash and fish offer it.
    expect(zsh(['amps', ''])).toEqual(expect.arrayContaining(['get', 'inspect', 'push']));
  });

  it('fish offers the same words', () => {
    const fish = (line: string) => execFileSync('fish', ['-c', `source ${join(completions, FILES.fish)}; complete -C '${line}'`], { encoding: 'utf8' }).trim().split('\n').map((l) => l.split('\t')[0]).sort();
    expect(fish('amps push battery b ')).toEqual(['auto.balanced', 'auto.export', 'auto.reserve', 'charge', 'discharge', 'idle']);
    expect(fish('amps push ev x ')).toEqual(['charge', 'idle']);
    expect(fish('amps push ev-chargers x ')).toEqual(['charge', 'idle']);
    expect(fish('amps config set ')).toEqual(['api-key', 'api-url', 'app-id']);
    expect(fish('amps webhooks trigger push.')).toEqual(['push.completed', 'push.failed']);
    expect(fish('amps explain --category con')).toEqual(['conflict']);
    // An option only where it exists: link url has none of push's, nor schedules list actions list's.
    expect(fish('amps link url --')).toEqual(expect.not.arrayContaining(['--category', '--on-conflict', '--devices', '--state']));
    expect(fish('amps schedules list --')).toEqual(expect.arrayContaining(['--state', '--device', '--all']));
    expect(fish('amps schedules list --')).toEqual(expect.not.arrayContaining(['--type', '--offset']));
    expect(fish('amps config set --')).toEqual(expect.not.arrayContaining(['--slot', '--dry-run']));
    expect(fish('amps schedules list --state ')).toEqual(['active', 'cancelled', 'completed', 'pending']);
    // After a global option's value, the commands are still offered; after push's type, its id (not guessed).
    expect(fish('amps --profile prod pu')).toEqual(['push']);
    expect(fish('amps push ')).toEqual(['battery', 'ev-charger', 'hvac']);
    expect(fish('amps push hvac ')).toEqual(['']);
    expect(fish('amps push hvac --devices f.txt ')).toEqual(['auto', 'cool', 'follow_schedule', 'heat', 'idle']);
  });
});
