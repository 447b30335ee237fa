// Shell completion scripts for bash, zsh and fish, generated from the commander tree and the
// vocabularies amps already holds (device types, each family's commands, the error catalogue).
// `npm run completions` writes them to completions/; `amps completion SHELL` prints the same text.
// Profile names are read at completion time from `amps config profiles`.

import type { Command } from '@commander-js/extra-typings';
import { allCodes, CATEGORY_LABELS } from '../errors/catalogue.js';
import { localCodeNames } from '../errors/decode.js';
import { SETTING_NAMES } from '../config/resolve.js';
import { WEBHOOK_EVENTS } from '../contract/webhooks.js';
import { CANONICAL_COMMANDS, pathSegment } from '../domain/device-types.js';
import { ACTION_STATES, STRATEGIES } from '../contract/actions.js';
import { DEVICE_TYPES } from '../contract/devices.js';
import { SCHEDULE_STATES } from '../contract/schedules.js';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

interface CommandModel {
  names: string[];
  description: string;
  options: string[];
  subcommands: CommandModel[];
}

export interface CompletionModel {
  commands: CommandModel[];
  globalOptions: string[];
  /** Options whose value is a file, a profile, or one of a fixed list. */
  valueOptions: string[];
  types: string[];
  commandsByType: Record<string, readonly string[]>;
  codes: string[];
  helpTopics: string[];
}

function optionNames(command: Command): string[] {
  return command.options.filter((o) => !o.hidden).map((o) => o.long).filter((name): name is string => Boolean(name));
}

function model(command: Command): CommandModel {
  return {
    names: [command.name(), ...command.aliases()],
    description: command.description().split('\n')[0],
    options: optionNames(command),
    subcommands: visible(command).map((c) => model(c)),
  };
}

/** The subcommands a person is shown (not a group's hidden `help`): what completion offers. */
function visible(command: Command): Command[] {
  return command.createHelp().visibleCommands(command) as Command[];
}

export function completionModel(program: Command, helpTopics: readonly string[]): CompletionModel {
  const valueOptions = new Set<string>();
  const visit = (command: Command) => {
    for (const option of command.options) if ((option.required || option.optional) && option.long) valueOptions.add(option.long);
    command.commands.forEach((c) => visit(c as Command));
  };
  visit(program);
  return {
    commands: visible(program).map((c) => model(c)),
    globalOptions: [...optionNames(program), '--help'],
    valueOptions: [...valueOptions].sort(),
    types: DEVICE_TYPES.map(pathSegment),
    commandsByType: {
      battery: CANONICAL_COMMANDS.battery,
      'ev-charger': CANONICAL_COMMANDS.ev_charger,
      ev_charger: CANONICAL_COMMANDS.ev_charger,
      hvac: CANONICAL_COMMANDS.hvac,
    },
    codes: [...allCodes(), ...localCodeNames()],
    helpTopics: [...helpTopics],
  };
}

const FILE_OPTIONS = ['--devices', '--out', '--body', '--api-key-file'];
/** `sandbox serve --state FILE` is a file, `schedules list --state` a schedule's state; elsewhere an action's (CHOICES). */
const SANDBOX_FILE_OPTION = '--state';
const CHOICES: Record<string, readonly string[]> = {
  '--on-conflict': STRATEGIES,
  '--state': ACTION_STATES,
  '--simulate-at': ['request', 'dispatch'],
  '--fail-fast': ['credentials', 'rejected', 'conflict', 'transient', 'offline', 'unclassified', 'usage'],
  '--category': Object.keys(CATEGORY_LABELS),
  '--events': WEBHOOK_EVENTS,
};
/** What the first word after a noun's subcommand completes to (`amps config set <TAB>`). */
const SUB_POSITIONAL: Record<string, readonly string[]> = {
  'config/set': Object.keys(SETTING_NAMES),
  'config/unset': Object.keys(SETTING_NAMES),
  'webhooks/trigger': WEBHOOK_EVENTS,
};

const words = (list: readonly string[]) => list.join(' ');
const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

/** What the first positional of each command completes to. */
function firstPositional(m: CompletionModel, command: CommandModel): string[] | 'codes' | undefined {
  const name = command.names[0];
  if (command.subcommands.length > 0) return command.subcommands.flatMap((s) => s.names);
  if (['push', 'get', 'devices', 'settings'].includes(name)) return m.types;
  if (name === 'explain') return 'codes';
  if (name === 'completion') return [...SHELLS];
  if (name === 'help') return [...m.helpTopics, ...m.commands.flatMap((c) => c.names)];
  return undefined;
}

function bash(m: CompletionModel): string {
  const firstCases = m.commands
    .map((c) => {
      const first = firstPositional(m, c);
      if (!first) return undefined;
      const list = first === 'codes' ? '$codes' : words(first);
      // A noun's subcommand is offered until one is given; a verb's first word until it is.
      const none = c.subcommands.length > 0 ? '-z "$sub"' : '${#args[@]} -eq 0';
      return `    ${c.names.join('|')}) [[ ${none} ]] && COMPREPLY=($(compgen -W "${list}" -- "$cur")) ;;`;
    })
    .filter(Boolean)
    .join('\n');
  const optionCases = m.commands
    .flatMap((c) => [
      `    ${c.names.join('|')}) opts="${words(c.options)}" ;;`,
      ...c.subcommands.map((s) => `    ${c.names[0]}/${s.names[0]}) opts="${words(s.options)}" ;;`),
    ])
    .join('\n');
  const typeCommands = Object.entries(m.commandsByType).map(([type, list]) => `    ${type}) COMPREPLY=($(compgen -W "${words(list)}" -- "$cur")) ;;`).join('\n');
  const choices = Object.entries(CHOICES).map(([option, list]) => `    ${option}) COMPREPLY=($(compgen -W "${words(list)}" -- "$cur")); return ;;`).join('\n');
  const subPositional = Object.entries(SUB_POSITIONAL).map(([at, list]) => `      ${at}) COMPREPLY=($(compgen -W "${words(list)}" -- "$cur")); return ;;`).join('\n');
  return `# bash completion for amps. Generated by \`npm run completions\` from the command tree; do not edit.
# Install: mkdir -p ~/.local/share/bash-completion/completions && amps completion bash > ~/.local/share/bash-completion/completions/amps
# The profile names are read line by line, never through compgen -W, which would expand a \$(…) in one.
_amps_profiles() {
  local name
  COMPREPLY=()
  while IFS= read -r name; do [[ "$name" == "$cur"* ]] && COMPREPLY+=("$name"); done < <(amps config profiles --quiet 2>/dev/null)
}
_amps() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}"
  local codes="${words(m.codes)}"
  local cmd="" sub="" args=() i w
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    case "$w" in
      ${m.valueOptions.join('|')}) ((i++)) ;;
      -*) ;;
      *) if [[ -z "$cmd" ]]; then cmd="$w"; elif [[ -z "$sub" && "$cmd" =~ ^(${m.commands.filter((c) => c.subcommands.length > 0).map((c) => c.names[0]).join('|')})$ ]]; then sub="$w"; else args+=("$w"); fi ;;
    esac
  done
  if [[ "$cmd" == sandbox && "$prev" == ${SANDBOX_FILE_OPTION} ]]; then COMPREPLY=($(compgen -f -- "$cur")); return; fi
  if [[ "$cmd" == schedules && "$prev" == --state ]]; then COMPREPLY=($(compgen -W "${words(SCHEDULE_STATES)}" -- "$cur")); return; fi
  case "$prev" in
    --profile) _amps_profiles; return ;;
${choices}
    ${FILE_OPTIONS.join('|')}) COMPREPLY=($(compgen -f -- "$cur")); return ;;
  esac
  if [[ "$cmd" == config && "$sub" == use && \${#args[@]} -eq 0 && "$cur" != -* ]]; then
    _amps_profiles
    return
  fi
  if [[ -n "$sub" && \${#args[@]} -eq 0 && "$cur" != -* ]]; then
    case "$cmd/$sub" in
${subPositional}
    esac
  fi
  if [[ -z "$cmd" ]]; then
    COMPREPLY=($(compgen -W "${words(m.commands.flatMap((c) => c.names))} ${words(m.globalOptions)}" -- "$cur"))
    return
  fi
  if [[ "$cur" == -* ]]; then
    local opts=""
    case "$cmd\${sub:+/$sub}" in
${optionCases}
    esac
    COMPREPLY=($(compgen -W "$opts ${words(m.globalOptions)}" -- "$cur"))
    return
  fi
  # The command after the type (--devices) or the id; none after the command.
  if [[ "$cmd" == push && \${#args[@]} -ge 1 && \${#args[@]} -le 2 ]]; then
    case "\${args[0]}" in
${typeCommands}
    esac
    return
  fi
  case "$cmd" in
${firstCases}
  esac
}
complete -F _amps amps
`;
}

function zsh(m: CompletionModel): string {
  const described = m.commands.map((c) => quote(`${c.names[0]}:${c.description.replace(/:/g, '\\:')}`)).join(' ');
  const subs = m.commands
    .filter((c) => c.subcommands.length > 0)
    .map((c) => `    ${c.names[0]}) subs=(${c.subcommands.map((s) => quote(`${s.names[0]}:${s.description.replace(/:/g, '\\:')}`)).join(' ')}) ;;`)
    .join('\n');
  const options = m.commands
    .flatMap((c) => [`    ${c.names.join('|')}) opts=(${words(c.options)}) ;;`, ...c.subcommands.map((s) => `    ${c.names[0]}/${s.names[0]}) opts=(${words(s.options)}) ;;`)])
    .join('\n');
  const firsts = m.commands
    .filter((c) => c.subcommands.length === 0)
    .map((c) => {
      const first = firstPositional(m, c);
      if (!first) return undefined;
      return `    ${c.names.join('|')}) (( \${#args} == 0 )) && compadd -- ${first === 'codes' ? '${=codes}' : words(first)} ;;`;
    })
    .filter(Boolean)
    .join('\n');
  const typeCommands = Object.entries(m.commandsByType).map(([type, list]) => `      ${type}) compadd -- ${words(list)} ;;`).join('\n');
  const choices = Object.entries(CHOICES).map(([option, list]) => `    ${option}) compadd -- ${words(list)}; return ;;`).join('\n');
  const subPositional = Object.entries(SUB_POSITIONAL).map(([at, list]) => `      ${at}) compadd -- ${words(list)}; return ;;`).join('\n');
  return `#compdef amps
# zsh completion for amps. Generated by \`npm run completions\` from the command tree; do not edit.
# Install: amps completion zsh > "\${fpath[1]}/_amps" (any directory on $fpath), then restart zsh.
_amps() {
  local codes="${words(m.codes)}"
  local cmd="" sub="" i w
  local -a args subs opts
  for ((i = 2; i < CURRENT; i++)); do
    w="\${words[i]}"
    case "$w" in
      ${m.valueOptions.join('|')}) ((i++)) ;;
      -*) ;;
      *) if [[ -z "$cmd" ]]; then cmd="$w"; elif [[ -z "$sub" && "$cmd" == (${m.commands.filter((c) => c.subcommands.length > 0).map((c) => c.names[0]).join('|')}) ]]; then sub="$w"; else args+=("$w"); fi ;;
    esac
  done
  if [[ "$cmd" == sandbox && "\${words[CURRENT-1]}" == ${SANDBOX_FILE_OPTION} ]]; then _files; return; fi
  if [[ "$cmd" == schedules && "\${words[CURRENT-1]}" == --state ]]; then compadd -- ${words(SCHEDULE_STATES)}; return; fi
  case "\${words[CURRENT-1]}" in
    --profile) compadd -- \${(f)"$(amps config profiles --quiet 2>/dev/null)"}; return ;;
${choices}
    ${FILE_OPTIONS.join('|')}) _files; return ;;
  esac
  if [[ "$cmd" == config && "$sub" == use && \${#args} -eq 0 && "$PREFIX" != -* ]]; then
    compadd -- \${(f)"$(amps config profiles --quiet 2>/dev/null)"}
    return
  fi
  if [[ -n "$sub" && \${#args} -eq 0 && "$PREFIX" != -* ]]; then
    case "$cmd/$sub" in
${subPositional}
    esac
  fi
  if [[ -z "$cmd" ]]; then
    local -a commands=(${described})
    _describe 'command' commands
    compadd -- ${words(m.globalOptions)}
    return
  fi
  if [[ "$PREFIX" == -* ]]; then
    case "$cmd\${sub:+/$sub}" in
${options}
    esac
    compadd -- $opts ${words(m.globalOptions)}
    return
  fi
  if [[ -z "$sub" ]]; then
    case "$cmd" in
${subs}
    esac
    if (( \${#subs} )); then _describe 'subcommand' subs; return; fi
  fi
  if [[ "$cmd" == push ]] && (( \${#args} >= 1 && \${#args} <= 2 )); then
    case "\${args[1]}" in
${typeCommands}
    esac
    return
  fi
  case "$cmd" in
${firsts}
  esac
}
compdef _amps amps
`;
}

function fish(m: CompletionModel): string {
  const lines = [
    '# fish completion for amps. Generated by `npm run completions` from the command tree; do not edit.',
    '# Install: mkdir -p ~/.config/fish/completions && amps completion fish > ~/.config/fish/completions/amps.fish',
    'complete -c amps -f',
    '# The words after the subcommand that are not options.',
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
    '    printf "%s\\n" $out',
    'end',
    'function __amps_at',
    '    # __amps_at COMMAND N: the subcommand is COMMAND and N words follow it.',
    '    set -l args (__amps_args)',
    '    test (count $args) -ge 1; and contains -- $args[1] (string split "|" $argv[1]); and test (math (count $args) - 1) -eq $argv[2]',
    'end',
    'function __amps_config_use',
    '    set -l args (__amps_args)',
    '    test "$args[1]" = config; and test "$args[2]" = use; and test (count $args) -eq 2',
    'end',
    'function __amps_sub',
    '    # __amps_sub COMMAND SUBCOMMAND: no word follows the subcommand yet.',
    '    set -l args (__amps_args)',
    '    test "$args[1]" = $argv[1]; and test "$args[2]" = $argv[2]; and test (count $args) -eq 2',
    'end',
    'function __amps_push_type',
    '    set -l args (__amps_args)',
    '    test "$args[1]" = push; and test (count $args) -ge 2; and test (count $args) -le 3; and test "$args[2]" = $argv[1]',
    'end',
  ];
  for (const option of m.globalOptions) lines.push(`complete -c amps -l ${option.replace(/^--/, '')}`);
  for (const c of m.commands) {
    for (const name of c.names) lines.push(`complete -c amps -n '__fish_use_subcommand' -a ${name} -d ${quote(c.description)}`);
    for (const option of c.options) lines.push(`complete -c amps -n '__fish_seen_subcommand_from ${c.names.join(' ')}' -l ${option.replace(/^--/, '')}`);
    const first = firstPositional(m, c);
    if (first && c.subcommands.length === 0) {
      const values = first === 'codes' ? words(m.codes) : words(first);
      lines.push(`complete -c amps -n '__amps_at "${c.names.join('|')}" 0' -a ${quote(values)}`);
    }
    for (const s of c.subcommands) {
      lines.push(`complete -c amps -n '__amps_at ${c.names[0]} 0' -a ${s.names[0]} -d ${quote(s.description)}`);
      for (const option of s.options) lines.push(`complete -c amps -n '__fish_seen_subcommand_from ${s.names[0]}' -l ${option.replace(/^--/, '')}`);
    }
  }
  for (const [type, list] of Object.entries(m.commandsByType)) lines.push(`complete -c amps -n '__amps_push_type ${type}' -a ${quote(words(list))}`);
  lines.push(`complete -c amps -l profile -x -a '(amps config profiles --quiet 2>/dev/null)'`);
  lines.push(`complete -c amps -n '__amps_config_use' -a '(amps config profiles --quiet 2>/dev/null)'`);
  for (const [at, list] of Object.entries(SUB_POSITIONAL)) lines.push(`complete -c amps -n '__amps_sub ${at.replace('/', ' ')}' -a ${quote(words(list))}`);
  for (const [option, list] of Object.entries(CHOICES)) {
    const where = option === SANDBOX_FILE_OPTION ? ` -n 'not __fish_seen_subcommand_from sandbox schedules'` : '';
    lines.push(`complete -c amps${where} -l ${option.replace(/^--/, '')} -x -a ${quote(words(list))}`);
  }
  for (const option of FILE_OPTIONS) lines.push(`complete -c amps -l ${option.replace(/^--/, '')} -r -F`);
  lines.push(`complete -c amps -n '__fish_seen_subcommand_from sandbox' -l ${SANDBOX_FILE_OPTION.replace(/^--/, '')} -r -F`);
  lines.push(`complete -c amps -n '__fish_seen_subcommand_from schedules' -l state -x -a ${quote(words(SCHEDULE_STATES))}`);
  return `${lines.join('\n')}\n`;
}

export const COMPLETION_FILES: Record<Shell, string> = { bash: 'amps.bash', zsh: '_amps', fish: 'amps.fish' };

export function completionScript(shell: Shell, m: CompletionModel): string {
  return shell === 'bash' ? bash(m) : shell === 'zsh' ? zsh(m) : fish(m);
}
