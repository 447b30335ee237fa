import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CATALOGUE, entriesFor, messageMatches, suggestCodes, variantFor } from '../src/errors/catalogue.js';
import { RETRY_CLASSES, type RetryClass } from '../src/errors/retry-classes.js';
import { API_DOCS } from './helpers/cli.js';

const manufacturerPage = readFileSync(join(API_DOCS, 'manufacturer-error-codes.txt'), 'utf8');
const contract = readFileSync(join(API_DOCS, 'contract.md'), 'utf8');

describe('the catalogue against the manufacturer error-codes page', () => {
  // Quotes are character for character: no normalisation of ’ or any other punctuation.
  const lines = manufacturerPage.split('\n');
  const rows = lines.filter((line) => /^[A-Z][A-Z_]+\d{3}\S/.test(line));
  const sectionOf = (row: string) => {
    const headings = ['Authentication and account', 'Device discovery', 'Command and parameter', 'State conflict', 'Transport and capacity'];
    let current = '';
    for (const line of lines) {
      if (headings.includes(line.trim())) current = line.trim();
      if (line === row) return current;
    }
    return current;
  };
  // The "When to retry" table: from its heading to the paragraph after it. Each row is
  // `Label (CODE, CODE…)Text` or `CODEText`; only the codes a row names are covered by it.
  const retrySection = lines.slice(lines.indexOf('When to retry'), lines.indexOf('Frequently asked questions'));
  const RETRY_CLASS_BY_LABEL: Record<string, string> = {
    Transport: 'backoff', 'Device offline': 'after_delay', 'State conflict': 'resolve_conflict', Auth: 'relink', Command: 'fix_request', UNKNOWN_ERROR: 'once_then_escalate',
  };
  const retryRows = retrySection.flatMap((line) => {
    const listed = /^([A-Za-z ]+) \(([A-Z_, ]+)\)(.+)$/.exec(line);
    if (listed) return [{ label: listed[1], codes: listed[2].split(', '), text: listed[3] }];
    const single = /^([A-Z][A-Z_]+[A-Z])([A-Z][a-z].+)$/.exec(line);
    if (single) return [{ label: single[1], codes: [single[1]], text: single[2] }];
    return [];
  });
  const retryRowFor = (code: string) => retryRows.find((r) => r.codes.includes(code));
  const SECTION_CLASS: Record<string, string> = {
    'Authentication and account': 'relink', 'Device discovery': 'relink', 'Command and parameter': 'fix_request', 'State conflict': 'resolve_conflict', 'Transport and capacity': 'backoff',
  };
  const SECTION_CATEGORY: Record<string, string> = {
    'Authentication and account': 'manufacturer-auth', 'Device discovery': 'discovery', 'Command and parameter': 'command', 'State conflict': 'conflict', 'Transport and capacity': 'transport',
  };
  const OWN_ROW_CLASS: Record<string, RetryClass> = {
    // "Inspect the action and retry once any condition the device flagged has cleared."
    COMMAND_FAILED: 'when_cleared',
    // "There is no workaround inside Amps."
    BIND_NOT_SUPPORTED: 'no_workaround',
    // "Cancel an existing schedule or ask the end user to clear rows from the manufacturer app."
    SCHEDULER_FULL: 'free_a_slot',
  };
  const entryFor = (row: string) => {
    const [, code, http] = /^([A-Z_]+)(\d{3})/.exec(row)!;
    return entriesFor(code).find((e) => e.http === Number(http) && row.startsWith(`${code}${http}${e.message}`));
  };

  it('finds all 30 documented codes on the page, and the catalogue marks exactly those as quoted', () => {
    expect(rows).toHaveLength(30);
    expect(CATALOGUE.filter((e) => e.docsPage === 'error-codes').sort((a, b) => a.code.localeCompare(b.code))).toEqual(rows.map(entryFor).sort((a, b) => a!.code.localeCompare(b!.code)));
  });

  it('reads the retry table: six rows naming 16 codes', () => {
    expect(retryRows.map((r) => r.label)).toEqual(Object.keys(RETRY_CLASS_BY_LABEL));
    expect(retryRows.flatMap((r) => r.codes)).toHaveLength(16);
    for (const code of retryRows.flatMap((r) => r.codes)) expect(rows.some((row) => row.startsWith(code)), code).toBe(true);
  });

  it('quotes only what the page says: every message and what-to-do verbatim in the page, every retry quote verbatim in its retry table', () => {
    for (const entry of CATALOGUE.filter((e) => e.docsPage === 'error-codes')) {
      expect(manufacturerPage.includes(entry.message), `${entry.code}: message verbatim: ${entry.message}`).toBe(true);
      expect(manufacturerPage.includes(entry.whatToDo), `${entry.code}: what to do verbatim: ${entry.whatToDo}`).toBe(true);
    }
    for (const entry of CATALOGUE.filter((e) => e.retryQuote !== undefined)) {
      expect(entry.docsPage, `${entry.code}: a retry quote outside the error-codes page`).toBe('error-codes');
      const row = retryRowFor(entry.code);
      expect(row, `${entry.code}: quotes a retry row although the table does not name it`).toBeDefined();
      expect(entry.retryQuote, `${entry.code}: its row's text, verbatim`).toBe(row!.text);
    }
  });

  it.each(rows.map((row) => [/^([A-Z_]+)/.exec(row)![1], row]))('%s: status, exact message, what to do word for word, and the retry row only if the table names it', (code, row) => {
    const entry = entryFor(row);
    expect(entry, `${code}: a variant with the page's status and message`).toBeDefined();
    expect(entry!.source).toBe('amps-docs');
    const [, , http] = /^([A-Z_]+)(\d{3})/.exec(row)!;
    expect(`${code}${http}${entry!.message}${entry!.whatToDo}`).toBe(row);
    expect(entry!.category, `${code}: filed under its section of the page`).toBe(SECTION_CATEGORY[sectionOf(row)]);
    const listed = retryRowFor(code);
    if (listed) {
      expect(entry!.retryClass, `${code}: the retry table's class`).toBe(RETRY_CLASS_BY_LABEL[listed.label]);
      expect(entry!.retryQuote, `${code}: quotes its retry row`).toBe(listed.text);
    } else {
      // Not in the table: no quote; the class is ours (by its section), and the note says so. Three
      // rows say what their section's class would contradict: they get a class of their own, with
      // their section's exit code.
      expect(entry!.retryQuote, `${code}: the retry table does not name it`).toBeUndefined();
      const sectionClass = SECTION_CLASS[sectionOf(row)] as RetryClass;
      expect(entry!.retryClass, `${code}: its section's class, or its own row's`).toBe(OWN_ROW_CLASS[code] ?? sectionClass);
      expect(RETRY_CLASSES[entry!.retryClass].exitCode, `${code}: its section's exit code`).toBe(RETRY_CLASSES[sectionClass].exitCode);
      expect(entry!.note, `${code}: a note saying the classification is ours`).toContain('retry table does not list this code');
    }
  });
});

describe('the catalogue against contract.md §12', () => {
  const section = contract.slice(contract.indexOf('## 12. Error code taxonomy'), contract.indexOf('## 13. Webhooks'));
  const tables = section.split('\n### ').slice(1);
  const rows: Array<{ codes: string[]; cells: string[]; hasMessageColumn: boolean; statusColumn: number }> = [];
  for (const table of tables) {
    const lines = table.split('\n').filter((l) => l.startsWith('|'));
    const header = lines[0]?.split('|').map((c) => c.trim()) ?? [];
    const statusColumn = header.indexOf('HTTP');
    const hasMessageColumn = header.some((h) => h.startsWith('Message'));
    for (const line of lines.slice(2)) {
      const cells = line.split('|').map((c) => c.trim());
      const codes = [...cells[1].matchAll(/`([A-Z][A-Z_]+)`/g)].map((m) => m[1]);
      if (codes.length > 0) rows.push({ codes, cells, hasMessageColumn, statusColumn });
    }
  }

  it('reads the tables', () => {
    expect(rows.length).toBeGreaterThan(30);
  });

  it('holds every code named in §12', () => {
    const missing = rows.flatMap((r) => r.codes).filter((code) => entriesFor(code).length === 0);
    expect(missing).toEqual([]);
  });

  it('carries each documented status', () => {
    for (const row of rows) {
      const status = row.statusColumn > 0 ? /^(\d{3})/.exec(row.cells[row.statusColumn])?.[1] : undefined;
      if (!status) continue;
      for (const code of row.codes) {
        const statuses = entriesFor(code).flatMap((e) => [e.http, ...(e.alsoHttp ?? [])]);
        expect(statuses, `${code} ${status}`).toContain(Number(status));
      }
    }
  });

  it('matches each exact message quoted in a Message column to a variant of that code', () => {
    let checked = 0;
    for (const row of rows.filter((r) => r.hasMessageColumn && r.codes.length === 1)) {
      for (const quoted of row.cells.slice(2).join(' ').matchAll(/"([A-Z][^"]+)"/g)) {
        const entry = variantFor(row.codes[0], quoted[1], undefined);
        expect(entry, `${row.codes[0]}: "${quoted[1]}"`).toBeDefined();
        expect(messageMatches(entry!, quoted[1]), quoted[1]).toBe(true);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(15);
  });
});

describe('catalogue invariants', () => {
  it('gives every entry a class, guidance and a known category', () => {
    for (const entry of CATALOGUE) {
      expect(RETRY_CLASSES[entry.retryClass], entry.code).toBeDefined();
      expect(entry.whatToDo.length, entry.code).toBeGreaterThan(10);
    }
  });

  it('names only known codes as related', () => {
    const unknown = CATALOGUE.flatMap((e) => e.related).filter((code) => entriesFor(code).length === 0);
    expect(unknown).toEqual([]);
  });

  it('keeps every meaning of the codes with two (decision 3)', () => {
    expect(entriesFor('INVALID_API_KEY').map((e) => e.variant).sort()).toEqual(['manufacturer', 'platform']);
    expect(entriesFor('DEVICE_NOT_FOUND').map((e) => e.variant).sort()).toEqual(['manufacturer', 'platform']);
    expect(entriesFor('COMMAND_NOT_SUPPORTED').map((e) => [e.variant, e.http])).toEqual([['platform', 422], ['manufacturer', 400]]);
  });

  it('tells variants apart by exact message, then status', () => {
    expect(variantFor('DEVICE_NOT_FOUND', 'No matching device was found for the supplied details.', 404)?.variant).toBe('manufacturer');
    expect(variantFor('DEVICE_NOT_FOUND', 'Device not found or access denied', 404)?.variant).toBe('platform');
    expect(variantFor('COMMAND_NOT_SUPPORTED', 'something else', 400)?.variant).toBe('manufacturer');
    expect(variantFor('COMMAND_NOT_SUPPORTED', undefined, 422)?.variant).toBe('platform');
  });

  it('adds the codes our decisions define, marked as ours', () => {
    for (const code of ['INVALID_JSON', 'VALIDATION_ERROR', 'METHOD_NOT_ALLOWED', 'PAYLOAD_TOO_LARGE']) {
      expect(entriesFor(code)[0]?.source, code).toBe('amps-cli');
    }
    expect(entriesFor('NOT_FOUND').find((e) => e.variant === 'action')?.message).toBe('Action not found or access denied.');
    expect(entriesFor('SETTING_OUT_OF_RANGE')[0].http).toBe(422);
  });

  it('suggests near codes for a typo', () => {
    expect(suggestCodes('SCHEDULAR_ACTIV')[0]).toBe('SCHEDULER_ACTIVE');
    expect(suggestCodes('offline')).toContain('DEVICE_OFFLINE');
  });
});

describe('every code amps puts in an error or a ledger line is one amps explain knows', () => {
  it('the codes of its --json errors and ledger outcomes', async () => {
    const { localCode } = await import('../src/errors/decode.js');
    const sources = ['src/output/failure-report.ts', 'src/cli.ts', 'src/batch/run.ts', 'src/commands/watch.ts', 'src/commands/sandbox/serve.ts'].map((file) => readFileSync(new URL(`../${file}`, import.meta.url), 'utf8'));
    // A code written as a field, or handed to output/io.ts writeJsonError.
    const codes = new Set(sources.flatMap((text) => [...text.matchAll(/\bcode: '([A-Z][A-Z_]+)'|\bwriteJsonError\(\w+, '([A-Z][A-Z_]+)'/g)].map((m) => m[1] ?? m[2])));
    expect([...codes].sort()).toEqual(['INPUT_NEEDED', 'INTERRUPTED', 'INVALID_INPUT', 'NO_API_KEY', 'OUTPUT_LOST', 'USAGE']);
    for (const code of codes) expect(localCode(code) ?? entriesFor(code)[0], code).toBeDefined();
  });
});

describe('details field names said to be the docs\' are in the docs', () => {
  it('every name of a documented code, unless marked as amps\', is in docs/amps-api', async () => {
    const { readdirSync } = await import('node:fs');
    const docs = (readdirSync(API_DOCS, { recursive: true }) as string[]).filter((f) => /\.(md|txt|json)$/.test(f)).map((f) => readFileSync(join(API_DOCS, f), 'utf8')).join('\n');
    const unnamed = CATALOGUE.filter((e) => e.source === 'amps-docs' && e.detailsSource !== 'amps-cli')
      .flatMap((e) => e.details.filter((d) => !d.ampsName && !new RegExp(`\\b${d.name.replace(/\./g, '\\.')}\\b`).test(docs)).map((d) => `${e.code}.${d.name}`));
    expect(unnamed).toEqual([]);
  });
});
