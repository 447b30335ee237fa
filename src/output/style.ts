// Colour is decided per stream, here and nowhere else. chalk is loaded only when a stream will
// actually be coloured, and built with an explicit level because chalk itself ignores NO_COLOR.

export interface Style {
  enabled: boolean;
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  green(text: string): string;
  cyan(text: string): string;
  magenta(text: string): string;
}

const identity = (text: string): string => text;

export const PLAIN: Style = {
  enabled: false,
  bold: identity,
  dim: identity,
  red: identity,
  yellow: identity,
  green: identity,
  cyan: identity,
  magenta: identity,
};

/** A colour escape as the styles write them (`ESC [ 36 m`): no width on screen. */
export const COLOUR_ESCAPE = /\u001b\[[0-9;]*m/;

/** How many characters `text` takes on screen, its colour escapes left out. */
export function shownLength(text: string): number {
  return [...text.replace(new RegExp(COLOUR_ESCAPE.source, 'g'), '')].length;
}

export type ColorLevel = 0 | 1 | 2 | 3;

/**
 * Off when the stream is not a TTY, with NO_COLOR (any non-empty value), TERM=dumb or --no-color;
 * FORCE_COLOR turns it on (FORCE_COLOR=0 off), and wins over everything but --no-color.
 */
export function colorLevel(isTTY: boolean, env: Record<string, string | undefined>, noColorFlag: boolean): ColorLevel {
  if (noColorFlag) return 0;
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '') {
    if (force === '0' || force === 'false') return 0;
    const n = Number(force);
    return (n >= 1 && n <= 3 ? n : 1) as ColorLevel;
  }
  if (env.NO_COLOR) return 0;
  if (env.TERM === 'dumb') return 0;
  if (!isTTY) return 0;
  if (env.COLORTERM === 'truecolor' || env.COLORTERM === '24bit') return 3;
  return env.TERM?.includes('256') ? 2 : 1;
}

export async function styleFor(level: ColorLevel): Promise<Style> {
  if (level === 0) return PLAIN;
  const { Chalk } = await import('chalk');
  const chalk = new Chalk({ level });
  return {
    enabled: true,
    bold: (t) => chalk.bold(t),
    dim: (t) => chalk.dim(t),
    red: (t) => chalk.red(t),
    yellow: (t) => chalk.yellow(t),
    green: (t) => chalk.green(t),
    cyan: (t) => chalk.cyan(t),
    magenta: (t) => chalk.magenta(t),
  };
}
