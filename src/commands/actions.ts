import { Command } from '@commander-js/extra-typings';
import type { CommandState } from '../output/io.js';
export function actionsCommand(_state: CommandState) { return new Command('actions'); }
