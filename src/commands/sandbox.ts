import { Command } from '@commander-js/extra-typings';
import type { CommandState } from '../output/io.js';
export function sandboxCommand(_state: CommandState) { return new Command('sandbox'); }
