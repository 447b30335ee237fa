// What `amps --version` prints: amps', Node's and the platform's versions, what a bug report needs.
import pkg from '../../package.json' with { type: 'json' };

export function versionLine(): string {
  return `amps ${pkg.version} (node ${process.version}, ${process.platform}-${process.arch})`;
}
