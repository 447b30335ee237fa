/** The process environment as amps reads it: passed in, never read from `process.env` below cli.ts. */
export type Env = Record<string, string | undefined>;
