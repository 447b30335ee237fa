import { Command } from '@commander-js/extra-typings';
import type { CommandState } from '../output/io.js';
export function configCommand(_state: CommandState) { return new Command('config'); }
export function loginCommand(_state: CommandState) { return new Command('login'); }
