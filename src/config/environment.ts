// Every environment variable amps reads, as data: `amps help environment` prints it and the
// README documents it.

export interface EnvironmentVariable {
  name: string;
  description: string;
}

export const ENVIRONMENT_VARIABLES: readonly EnvironmentVariable[] = [
  { name: 'AMPS_API_KEY', description: 'API key; overrides the profile, overridden by --api-key-file; beside a typed --profile whose key differs, refused. Prefer it in CI only.' },
  { name: 'AMPS_API_URL', description: 'API base URL; overrides the profile, overridden by --api-url; beside a typed --profile whose URL differs, refused. http:// only for loopback.' },
  { name: 'AMPS_PROFILE', description: 'profile to use; overrides the current profile, overridden by --profile.' },
  { name: 'AMPS_APP_ID', description: 'the app id of Link UI URLs (https://auth.amps.ai/{appId}) that re-link errors and amps link url print; overrides the profile\'s app-id.' },
  { name: 'AMPS_CONFIG_DIR', description: 'where the config file, the embedded sandbox state and the fleet pushes\' own ledgers (runs/) live (default $XDG_CONFIG_HOME/amps or ~/.config/amps); an absolute path: a relative one, or a ~ or $VARIABLE no shell expanded, is refused.' },
  { name: 'AMPS_CACHE_DIR', description: 'where amps keeps compiled code to start faster (default $XDG_CACHE_HOME/amps or ~/.cache/amps; ~/Library/Caches/amps on macOS); safe to delete.' },
  { name: 'AMPS_DISABLE_COMPILE_CACHE', description: 'any non-empty value: neither read nor write the compile cache.' },
  { name: 'AMPS_TZ', description: 'the zone of push times typed without one (IANA, e.g. Europe/London); --tz wins; default: the device\'s plant zone, else the local zone; set but empty is refused.' },
  { name: 'AMPS_NO_INPUT', description: 'any non-empty value: never prompt, as --no-input.' },
  { name: 'AMPS_MAX_RESPONSE_MB', description: 'the largest API response amps reads, in MiB (1-500, default 8); a larger one is refused as RESPONSE_TOO_LARGE.' },
  { name: 'AMPS_DEBUG', description: '1: add stack traces to unexpected errors.' },
  { name: 'NO_COLOR', description: 'any non-empty value: no colour.' },
  { name: 'FORCE_COLOR', description: '1, 2 or 3: colour even when not a terminal (0: never).' },
  { name: 'CI', description: 'set (and not 0/false): never prompt.' },
  { name: 'HTTPS_PROXY, HTTP_PROXY, NO_PROXY', description: 'proxy for API requests; loopback is never proxied.' },
  { name: 'XDG_CONFIG_HOME', description: 'base of the default config directory.' },
  { name: 'HOME', description: 'else the default config directory is $HOME/.config/amps; an empty or relative HOME is refused there.' },
  { name: 'TZ', description: 'the local zone: times show in it when AMPS_TZ is unset, and are read in it when a device names no plant zone (a POSIX rule amps cannot name is UTC, said so).' },
  { name: 'XDG_CACHE_HOME', description: 'base of the default cache directory.' },
];

export const PRECEDENCE = 'Precedence: flags > AMPS_* environment variables > the selected profile > the embedded sandbox (used when no key and no URL are configured anywhere).';
