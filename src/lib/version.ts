// What `amps --version` prints: amps', Node's and the platform's versions, what a bug report needs.
// A named import: the bundles then carry the version alone, not the whole package.json (evaluated
// on every start).
import { version } from '../../package.json';

export const AMPS_VERSION: string = version;

export function versionLine(): string {
  return `amps ${AMPS_VERSION} (node ${process.version}, ${process.platform}-${process.arch})`;
}

/** The same with --json: one JSON line, as every --json output is one JSON value. */
export function versionJson(): string {
  return JSON.stringify({ version: AMPS_VERSION, node: process.version, platform: `${process.platform}-${process.arch}` });
}
