// Shell completion scripts for bash, zsh and fish, generated from the commander tree and the
// vocabularies amps already holds (device types, each family's commands, the error catalogue).
// `npm run completions` writes them to completions/; `amps completion SHELL` prints the same text.
// Profile names are read at completion time from `amps config profiles`.
//
// Each command is known by its path (`push`, `schedules/list`): its options, what each option's
// value is (a file, one of a list, free text, or none), and what its words after it are. The three
// scripts say the same from that one model, so an option is offered only where it exists.

import type { Command, Option } from '@commander-js/extra-typings';
import { allCodes, CATEGORY_LABELS } from '../errors/catalogue.js';
import { localCodeNames } from '../errors/decode.js';
import { SETTING_NAMES } from '../config/resolve.js';
import { WEBHOOK_EVENTS } from '../contract/webhooks.js';
import { commandsOf, CONTROLLABLE, deviceTypeSpellings, pathSegment, WITH_SETTINGS } from '../domain/device-types.js';
import { STRATEGIES } from '../contract/actions.js';
import { DEVICE_TYPES } from '../contract/devices.js';
import { SCHEDULABLE_TYPES, SCHEDULE_STATES } from '../contract/schedules.js';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

/** What an option's value completes to. */
type OptionValue = { kind: 'none' } | { kind: 'file' } | { kind: 'text' } | { kind: 'words'; words: readonly string[] };

interface OptionModel {
  name: string;
  value: OptionValue;
}

/** What the words after a command (not options) complete to: the first of them, unless said otherwise. */
type Positional = { words: readonly string[] } | { codes: true } | { files: true } | { profiles: true };

interface CommandModel {
  names: string[];
  description: string;
  options: OptionModel[];
  subcommands: CommandModel[];
  /** The first word after the command (after its subcommand, for a noun's). */
  first?: Positional;
}

export interface CompletionModel {
  commands: CommandModel[];
  globalOptions: OptionModel[];
  /** Every option that takes a value, anywhere: its value is no command word. */
  valueOptions: string[];
  types: string[];
  /** push: what follows the type (and its id, or --devices): the family's commands. */
  commandsByType: Record<string, readonly string[]>;
  codes: string[];
}

const segments = (types: readonly string[]) => types.map((t) => pathSegment(t as (typeof DEVICE_TYPES)[number]));

/** Values of options that neither commander's choices nor a file name describe. */
const CHOICES: Record<string, readonly string[]> = {
  '--on-conflict': STRATEGIES,
  '--simulate-at': ['request', 'dispatch'],
  '--fail-fast': ['credentials', 'rejected', 'conflict', 'transient', 'offline', 'unclassified', 'usage'],
  '--category': Object.keys(CATEGORY_LABELS),
  '--events': WEBHOOK_EVENTS,
  '--simulate-failure': allCodes(),
};
/** An option whose value is one of a list at one command only (`--state` is a file for the sandbox). */
const CHOICES_AT: Record<string, readonly string[]> = {
  'schedules/list --state': SCHEDULE_STATES,
  'actions/list --type': segments(DEVICE_TYPES),
  'schedules/create --device-type': SCHEDULABLE_TYPES,
};

/** The first word after each command that takes one, by path. */
function positionalOf(path: string, helpWords: readonly string[]): Positional | undefined {
  const table: Record<string, Positional> = {
    push: { words: segments(CONTROLLABLE) },
    get: { words: segments(DEVICE_TYPES) },
    devices: { words: segments(DEVICE_TYPES) },
    settings: { words: segments(WITH_SETTINGS) },
    'link/url': { words: segments(DEVICE_TYPES) },
    'schedule/get': { words: SCHEDULABLE_TYPES },
    'schedule/set': { words: SCHEDULABLE_TYPES },
    'schedule/clear': { words: SCHEDULABLE_TYPES },
    'config/set': { words: Object.keys(SETTING_NAMES) },
    'config/unset': { words: Object.keys(SETTING_NAMES) },
    'config/use': { profiles: true },
    'webhooks/trigger': { words: WEBHOOK_EVENTS },
    'webhooks/verify': { files: true },
    decode: { files: true },
    explain: { codes: true },
    completion: { words: SHELLS },
    help: { words: helpWords },
  };
  return table[path];
}

function valueOf(option: Option, path: string): OptionValue {
  if (!option.required && !option.optional) return { kind: 'none' };
  const long = option.long!;
  const choices = option.argChoices ?? CHOICES_AT[`${path} ${long}`] ?? CHOICES[long];
  if (choices) return { kind: 'words', words: choices };
  if (/<(file|ledger|dir)>/.test(option.flags)) return { kind: 'file' };
  return { kind: 'text' };
}

function optionsOf(command: Command, path: string): OptionModel[] {
  return command.options.filter((o) => !o.hidden && o.long).map((o) => ({ name: o.long!, value: valueOf(o as Option, path) }));
}

/** The subcommands a person is shown (not a group's hidden `help`): what completion offers. */
function visible(command: Command): Command[] {
  return command.createHelp().visibleCommands(command) as Command[];
}

function model(command: Command, parent: string | undefined, helpWords: readonly string[]): CommandModel {
  const path = parent ? `${parent}/${command.name()}` : command.name();
  const subcommands = visible(command).map((c) => model(c, path, helpWords));
  return {
    names: [command.name(), ...command.aliases()],
    description: command.description().split('\n')[0],
    options: optionsOf(command, path),
    subcommands,
    first: subcommands.length > 0 ? { words: subcommands.flatMap((s) => s.names) } : positionalOf(path, helpWords),
  };
}

export function completionModel(program: Command, helpTopics: readonly string[]): CompletionModel {
  const valueOptions = new Set<string>();
  const visit = (command: Command) => {
    for (const option of command.options) if ((option.required || option.optional) && option.long) valueOptions.add(option.long);
    command.commands.forEach((c) => visit(c as Command));
  };
  visit(program);
  const commandNames = visible(program).flatMap((c) => [c.name(), ...c.aliases()]);
  return {
    commands: visible(program).map((c) => model(c, undefined, [...helpTopics, ...commandNames])),
    globalOptions: [...optionsOf(program, ''), { name: '--help', value: { kind: 'none' } }],
    valueOptions: [...valueOptions].sort(),
    types: segments(DEVICE_TYPES),
    // Every spelling push takes (`ev`, `ev-chargers`, `batteries`), not the canonical names alone.
    commandsByType: Object.fromEntries(deviceTypeSpellings().flatMap(([spelling, type]) => (commandsOf(type).length > 0 ? [[spelling, commandsOf(type)]] : []))),
    codes: [...allCodes(), ...localCodeNames()],
  };
}

const words = (list: readonly string[]) => list.join(' ');
const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;
const optionNames = (options: OptionModel[]) => options.map((o) => o.name);

/** Every command as [path patterns, model]: `push`, `schedules/list` (each alias spelt out). */
function paths(m: CompletionModel): Array<{ patterns: string[]; path: string; command: CommandModel }> {
  const all: Array<{ patterns: string[]; path: string; command: CommandModel }> = [];
  for (const c of m.commands) {
    all.push({ patterns: c.names, path: c.names[0], command: c });
    for (const s of c.subcommands) all.push({ patterns: c.names.flatMap((n) => s.names.map((sn) => `${n}/${sn}`)), path: `${c.names[0]}/${s.names[0]}`, command: s });
  }
  return all;
}

/** Case arms, one per body: `'push --at'|'push --end') :; return ;;`, the global options' last (they match any command). */
function valueArms(m: CompletionModel, bodyOf: (value: OptionValue) => string, profiles: string): string {
  const grouped = new Map<string, string[]>();
  for (const { patterns, command } of paths(m)) {
    for (const option of command.options) {
      if (option.value.kind === 'none') continue;
      const body = bodyOf(option.value);
      grouped.set(body, [...(grouped.get(body) ?? []), ...patterns.map((p) => quote(`${p} ${option.name}`))]);
    }
  }
  const arms = [...grouped].map(([body, patterns]) => `    ${patterns.join('|')}) ${body}; return ;;`);
  for (const option of m.globalOptions) {
    const pattern = `*${quote(` ${option.name}`)}`;
    if (option.name === '--profile') arms.push(`    ${pattern}) ${profiles}; return ;;`);
    else if (option.value.kind !== 'none') arms.push(`    ${pattern}) ${bodyOf(option.value)}; return ;;`);
  }
  return arms.join('\n');
}

const nouns = (m: CompletionModel) => m.commands.filter((c) => c.subcommands.length > 0).flatMap((c) => c.names);

function bash(m: CompletionModel): string {
  // What an option's value completes to, where it is given ("PATH OPTION"; a global one anywhere).
  const valueCases = valueArms(m, (value) => (value.kind === 'file' ? '_amps_files' : value.kind === 'words' ? `_amps_words ${quote(words(value.words))}` : ':'), '_amps_profiles');
  const optionCases = paths(m).map(({ patterns, command }) => `    ${patterns.join('|')}) opts=${quote(words(optionNames(command.options)))} ;;`).join('\n');
  const firstCases = paths(m)
    .filter(({ command }) => command.first)
    .map(({ patterns, command }) => {
      const first = command.first!;
      const body = 'words' in first ? `_amps_words ${quote(words(first.words))}` : 'codes' in first ? '_amps_words "$codes"' : 'files' in first ? '_amps_files' : '_amps_profiles';
      return `    ${patterns.join('|')}) (( \${#args[@]} == 0 )) && ${body} ;;`;
    })
    .join('\n');
  const typeCommands = Object.entries(m.commandsByType).map(([type, list]) => `      ${type}) _amps_words ${quote(words(list))} ;;`).join('\n');
  return `# bash completion for amps. Generated by \`npm run completions\` from the command tree; do not edit.
# Install: mkdir -p ~/.local/share/bash-completion/completions && amps completion bash > ~/.local/share/bash-completion/completions/amps
# Names from outside (profiles, files) are read line by line, never through compgen -W or an
# unquoted $(…), which would expand a $(…), a * or a space in one.
_amps_profiles() {
  local name
  COMPREPLY=()
  while IFS= read -r name; do [[ "$name" == "$cur"* ]] && COMPREPLY+=("$name"); done < <(amps config profiles --quiet 2>/dev/null)
}
_amps_files() {
  local name
  COMPREPLY=()
  compopt -o filenames 2>/dev/null
  while IFS= read -r name; do COMPREPLY+=("$name"); done < <(compgen -f -- "$cur")
}
_amps_words() {
  COMPREPLY=($(compgen -W "$1" -- "$cur"))
}
# COMP_WORDS is split at COMP_WORDBREAKS too (= and :): \`--at 22:00\` comes as 22, : and 00. The
# words are glued back where the line has no space between them (without a line, as they came).
_amps_rejoin() {
  local i w rest trimmed gap pos=0 line="\${COMP_LINE-}"
  words=() cword=0
  if [[ -z "$line" ]]; then
    words=("\${COMP_WORDS[@]}") cword=$COMP_CWORD
  else
    for ((i = 0; i < \${#COMP_WORDS[@]}; i++)); do
      w="\${COMP_WORDS[i]}" rest="\${line:pos}"
      trimmed="\${rest#"\${rest%%[![:space:]]*}"}"
      gap=$((\${#rest} - \${#trimmed}))
      if ((i > 0 && gap == 0)); then words[\${#words[@]}-1]+="$w"; else words+=("$w"); fi
      pos=$((pos + gap + \${#w}))
      ((i == COMP_CWORD)) && cword=$((\${#words[@]} - 1))
    done
  fi
  cur="\${words[cword]}" prev="\${words[cword-1]}"
}
_amps() {
  local cur prev words cword
  _amps_rejoin
  local codes=${quote(words(m.codes))}
  local cmd="" sub="" devices="" args=() i w
  COMPREPLY=()
  for ((i = 1; i < cword; i++)); do
    w="\${words[i]}"
    case "$w" in
      --devices|--resume) devices=1; ((i++)) ;;
      --devices=*|--resume=*) devices=1 ;;
      ${m.valueOptions.join('|')}) ((i++)) ;;
      -*) ;;
      *) if [[ -z "$cmd" ]]; then cmd="$w"; elif [[ -z "$sub" && "$cmd" =~ ^(${nouns(m).join('|')})$ ]]; then sub="$w"; else args+=("$w"); fi ;;
    esac
  done
  local at="$cmd\${sub:+/$sub}"
  if (( cword > 1 )); then
    case "$at $prev" in
${valueCases}
    esac
  fi
  if [[ -z "$cmd" ]]; then
    _amps_words ${quote(`${words(m.commands.flatMap((c) => c.names))} ${words(optionNames(m.globalOptions))}`)}
    return
  fi
  if [[ "$cur" == -* ]]; then
    local opts=""
    case "$at" in
${optionCases}
    esac
    _amps_words "$opts ${words(optionNames(m.globalOptions))}"
    return
  fi
  # push: the family's command after the type and the id, or after the type with --devices.
  if [[ "$at" == push && \${#args[@]} -ge 1 ]]; then
    if [[ ( -n "$devices" && \${#args[@]} -eq 1 ) || \${#args[@]} -eq 2 ]]; then
      case "\${args[0]}" in
${typeCommands}
      esac
    fi
    return
  fi
  case "$at" in
${firstCases}
  esac
}
complete -F _amps amps
`;
}

function zsh(m: CompletionModel): string {
  // Each name, aliases too (`inspect` for `get`), as bash and fish offer them.
  const described = m.commands.flatMap((c) => c.names.map((name) => quote(`${name}:${c.description.replace(/:/g, '\\:')}`))).join(' ');
  const subs = m.commands
    .filter((c) => c.subcommands.length > 0)
    .map((c) => `    ${c.names.join('|')}) subs=(${c.subcommands.map((s) => quote(`${s.names[0]}:${s.description.replace(/:/g, '\\:')}`)).join(' ')}) ;;`)
    .join('\n');
  const profiles = 'compadd -- ${(f)"$(amps config profiles --quiet 2>/dev/null)"}';
  const valueCases = valueArms(m, (value) => (value.kind === 'file' ? '_files' : value.kind === 'words' ? `compadd -- ${words(value.words)}` : ':'), profiles);
  const options = paths(m).map(({ patterns, command }) => `    ${patterns.join('|')}) opts=(${words(optionNames(command.options))}) ;;`).join('\n');
  const firsts = paths(m)
    .filter(({ command }) => command.first && command.subcommands.length === 0)
    .map(({ patterns, command }) => {
      const first = command.first!;
      const body = 'words' in first ? `compadd -- ${words(first.words)}` : 'codes' in first ? 'compadd -- ${=codes}' : 'files' in first ? '_files' : profiles;
      return `    ${patterns.join('|')}) (( \${#args} == 0 )) && ${body} ;;`;
    })
    .join('\n');
  const typeCommands = Object.entries(m.commandsByType).map(([type, list]) => `        ${type}) compadd -- ${words(list)} ;;`).join('\n');
  return `#compdef amps
# zsh completion for amps. Generated by \`npm run completions\` from the command tree; do not edit.
# Install: amps completion zsh > "\${fpath[1]}/_amps" (any directory on $fpath), then restart zsh.
_amps() {
  local codes=${quote(words(m.codes))}
  local cmd="" sub="" devices="" i w
  local -a args subs opts
  for ((i = 2; i < CURRENT; i++)); do
    w="\${words[i]}"
    case "$w" in
      --devices|--resume) devices=1; ((i++)) ;;
      --devices=*|--resume=*) devices=1 ;;
      ${m.valueOptions.join('|')}) ((i++)) ;;
      -*) ;;
      *) if [[ -z "$cmd" ]]; then cmd="$w"; elif [[ -z "$sub" && "$cmd" == (${nouns(m).join('|')}) ]]; then sub="$w"; else args+=("$w"); fi ;;
    esac
  done
  local at="$cmd\${sub:+/$sub}"
  if (( CURRENT > 2 )); then
    case "$at \${words[CURRENT-1]}" in
${valueCases}
    esac
  fi
  if [[ -z "$cmd" ]]; then
    local -a commands=(${described})
    _describe 'command' commands
    compadd -- ${words(optionNames(m.globalOptions))}
    return
  fi
  if [[ "$PREFIX" == -* ]]; then
    case "$at" in
${options}
    esac
    compadd -- $opts ${words(optionNames(m.globalOptions))}
    return
  fi
  if [[ -z "$sub" ]]; then
    case "$cmd" in
${subs}
    esac
    if (( \${#subs} )); then _describe 'subcommand' subs; return; fi
  fi
  # push: the family's command after the type and the id, or after the type with --devices.
  if [[ "$at" == push ]] && (( \${#args} >= 1 )); then
    if [[ ( -n "$devices" && \${#args} -eq 1 ) || \${#args} -eq 2 ]]; then
      case "\${args[1]}" in
${typeCommands}
      esac
    fi
    return
  fi
  case "$at" in
${firsts}
  esac
}
# Autoloaded from $fpath, this file is _amps's body: its first call defines _amps and completes
# with it; sourced, it registers _amps.
if [[ "$funcstack[1]" == _amps ]]; then
  _amps "$@"
else
  compdef _amps amps
fi
`;
}

function fish(m: CompletionModel): string {
  const lines = [
    '# fish completion for amps. Generated by `npm run completions` from the command tree; do not edit.',
    '# Install: mkdir -p ~/.config/fish/completions && amps completion fish > ~/.config/fish/completions/amps.fish',
    'complete -c amps -f',
    '# The words after amps that are not options nor their values.',
    'function __amps_args',
    '    set -l tokens (commandline -opc)',
    '    set -l skip 0',
    '    set -l out',
    '    for t in $tokens[2..-1]',
    '        if test $skip -eq 1; set skip 0; continue; end',
    `        if contains -- $t ${words(m.valueOptions)}; set skip 1; continue; end`,
    '        string match -q -- "-*" $t; and continue',
    '        set -a out $t',
    '    end',
    '    # One line a word; none at all for no word (printf with no word would print an empty line).',
    '    for t in $out; echo $t; end',
    'end',
    '# __amps_in COMMAND [SUBCOMMAND]: the words so far are of that command (names separated by |).',
    'function __amps_in',
    '    set -l args (__amps_args)',
    '    test (count $args) -ge (count $argv); or return 1',
    '    for i in (seq (count $argv))',
    '        contains -- $args[$i] (string split "|" $argv[$i]); or return 1',
    '    end',
    'end',
    '# __amps_at N COMMAND [SUBCOMMAND]: of that command, with N words after it.',
    'function __amps_at',
    '    set -l n $argv[1]',
    '    set -e argv[1]',
    '    __amps_in $argv; or return 1',
    '    test (math (count (__amps_args)) - (count $argv)) -eq $n',
    'end',
    'function __amps_push_command',
    '    # The family\'s command: after the type and the id, or after the type with --devices (or --resume).',
    '    set -l args (__amps_args)',
    '    test "$args[1]" = push; and test "$args[2]" = $argv[1]; or return 1',
    '    set -l n (count $args)',
    '    if string match -q -r -- \'^--(devices|resume)(=|$)\' (commandline -opc)',
    '        test $n -eq 2',
    '    else',
    '        test $n -eq 3',
    '    end',
    'end',
  ];
  const short = (name: string) => name.replace(/^--/, '');
  const namesOf = (names: string[]) => names.join('|');
  const optionLine = (condition: string, option: OptionModel) => {
    const value = option.value.kind === 'file' ? ' -r -F' : option.value.kind === 'words' ? ` -x -a ${quote(words(option.value.words))}` : option.value.kind === 'text' ? ' -x' : '';
    return `complete -c amps${condition ? ` -n ${quote(condition)}` : ''} -l ${short(option.name)}${value}`;
  };
  for (const option of m.globalOptions) {
    if (option.name === '--profile') lines.push(`complete -c amps -l profile -x -a '(amps config profiles --quiet 2>/dev/null)'`);
    else lines.push(optionLine('', option));
  }
  const firstLine = (condition: string, first: Positional) =>
    'files' in first ? `complete -c amps -n ${quote(condition)} -F`
    : 'profiles' in first ? `complete -c amps -n ${quote(condition)} -a '(amps config profiles --quiet 2>/dev/null)'`
    : `complete -c amps -n ${quote(condition)} -a ${quote('codes' in first ? words(m.codes) : words(first.words))}`;
  for (const c of m.commands) {
    for (const name of c.names) lines.push(`complete -c amps -n '__amps_at 0' -a ${name} -d ${quote(c.description)}`);
    for (const option of c.options) lines.push(optionLine(`__amps_in "${namesOf(c.names)}"`, option));
    if (c.subcommands.length === 0 && c.first) lines.push(firstLine(`__amps_at 0 "${namesOf(c.names)}"`, c.first));
    for (const s of c.subcommands) {
      for (const name of s.names) lines.push(`complete -c amps -n '__amps_at 0 "${namesOf(c.names)}"' -a ${name} -d ${quote(s.description)}`);
      for (const option of s.options) lines.push(optionLine(`__amps_in "${namesOf(c.names)}" "${namesOf(s.names)}"`, option));
      if (s.first) lines.push(firstLine(`__amps_at 0 "${namesOf(c.names)}" "${namesOf(s.names)}"`, s.first));
    }
  }
  for (const [type, list] of Object.entries(m.commandsByType)) lines.push(`complete -c amps -n '__amps_push_command ${type}' -a ${quote(words(list))}`);
  return `${lines.join('\n')}\n`;
}

export const COMPLETION_FILES: Record<Shell, string> = { bash: 'amps.bash', zsh: '_amps', fish: 'amps.fish' };

export function completionScript(shell: Shell, m: CompletionModel): string {
  return shell === 'bash' ? bash(m) : shell === 'zsh' ? zsh(m) : fish(m);
}
