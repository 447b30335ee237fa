import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { API_DOCS, cleanEnv, freshConfigDir, runCli } from './helpers/cli.js';

describe('amps explain (built binary)', () => {
  it('explains a code in any spelling', async () => {
    const r = await runCli(['explain', 'scheduler-active']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('SCHEDULER_ACTIVE · HTTP 409 · State conflict');
    expect(r.stdout).toContain('A schedule is currently active on the device and must be cleared first.');
    expect(r.stdout).toMatch(/What to do\s+“Resubmit with onConflict: cancel_and_replace to clear the conflicting schedule rows\. .*See conflict resolution\.” \(Amps docs\)/);
    expect(r.stdout).toMatch(/When to retry\s+“Resolve via onConflict or by clearing the controlling state, then resubmit\.” \(Amps docs\)/);
    expect(r.stdout).toMatch(/amps class\s+resolve the conflict/);
    expect(r.stdout).toMatch(/amps note\s+At a terminal amps offers exactly the strategies/);
    expect(r.stdout).toContain('overlappingGroups');
    expect(r.stdout).toContain('Related: SCHEDULER_FULL, MODE_OVERRIDDEN, CONFLICT');
    expect(r.stderr).toBe('');
  });

  it('lists every code with a status', async () => {
    const r = await runCli(['explain', '409']);
    expect(r.code).toBe(0);
    for (const code of ['CONFLICT', 'SCHEDULER_ACTIVE', 'SCHEDULER_FULL', 'MODE_OVERRIDDEN', 'VPP_LOCKED', 'ACTION_NOT_CANCELLABLE']) expect(r.stdout).toContain(code);
    expect(r.stdout).not.toContain('DEVICE_OFFLINE');
  });

  it('lists all, and by category; piped, tab-separated rows alone (the headings are for a terminal: terminal.pty.test.ts)', async () => {
    const all = await runCli(['explain', '--list']);
    expect(all.stdout).not.toContain('Manufacturer: transport and capacity (transport)');
    expect(all.stdout.trim().split('\n').every((line) => line.split('\t').length === 6)).toBe(true);
    // The first column is a code explain takes (a code with two meanings is one row each, its variant a column of its own).
    const codes = new Set(all.stdout.trim().split('\n').map((line) => line.split('\t')[0]));
    expect([...codes].filter((code) => /\s/.test(code))).toEqual([]);
    expect((await runCli(['explain', 'UNAUTHORIZED'])).code).toBe(0);
    const conflicts = await runCli(['explain', '--list', '--category', 'conflict']);
    expect(conflicts.stdout).toContain('VPP_LOCKED');
    expect(conflicts.stdout).not.toContain('TIMEOUT');
    // Each row says whose the code is: the error-codes page's, elsewhere in the docs, or amps'.
    expect(conflicts.stdout).toMatch(/^SCHEDULER_ACTIVE\t-\t409\tresolve the conflict\tdocs page\tA schedule/m);
    expect(conflicts.stdout).toMatch(/^CONFLICT\topen_ended\t409\tresolve the conflict\tamps\tThe conflicting/m);
    expect(conflicts.stdout).toMatch(/^CONFLICT\tpending\t409\tresolve the conflict\tAmps docs\tA conflicting/m);
  });

  it('gives the entry as JSON, every variant of a code with two meanings', async () => {
    const one = JSON.parse((await runCli(['explain', 'DEVICE_OFFLINE', '--json'])).stdout);
    // The status under an error's --json name too: `jq .status` reads an explained code as a decoded one.
    expect(one).toMatchObject({ code: 'DEVICE_OFFLINE', http: 410, status: 410, retryClass: 'after_delay', exitCode: 7, source: 'amps-docs' });
    const many = JSON.parse((await runCli(['explain', 'invalid_api_key', '--json'])).stdout);
    expect(many.map((e: { variant: string }) => e.variant)).toEqual(['platform', 'manufacturer']);
    // whatToDo is the docs' words alone, as in an error's --json; amps' own text is ampsWhatToDo.
    expect([one.whatToDo, one.ampsWhatToDo]).toEqual([expect.stringContaining('Retry once the device is back online'), null]);
    const ours = JSON.parse((await runCli(['explain', 'VALIDATION_ERROR', '--json'])).stdout);
    expect([ours.whatToDo, ours.ampsWhatToDo]).toEqual([null, expect.stringContaining('details.fields')]);
    const local = JSON.parse((await runCli(['explain', 'CLIENT_TIMEOUT', '--json'])).stdout);
    expect([local.whatToDo, typeof local.ampsWhatToDo]).toEqual([null, 'string']);
    // One shape for every entry: a field an entry has none of is null, not missing.
    const keys = (code: string) => runCli(['explain', code, '--json']).then((r) => Object.keys(JSON.parse(r.stdout)).sort());
    expect(await keys('VALIDATION_ERROR')).toEqual(await keys('SCHEDULER_ACTIVE'));
    expect(ours).toMatchObject({ retryQuote: null, note: null, docsPage: null });
  });

  it('--list lists every code: the catalogue\'s by category, then amps\' own', async () => {
    const text = await runCli(['explain', '--list']);
    for (const code of ['CLIENT_TIMEOUT', 'INVALID_RESPONSE', 'USAGE', 'OUTPUT_LOST', 'HTTP_<status>']) expect(text.stdout, code).toMatch(new RegExp(`^${code}\t-\t-\t.*\tamps\t`, 'm'));
    const json = JSON.parse((await runCli(['explain', '--list', '--json'])).stdout);
    expect(json.filter((e: { source: string }) => e.source === 'amps-local').map((e: { code: string }) => e.code)).toEqual(expect.arrayContaining(['CLIENT_TIMEOUT', 'USAGE', 'HTTP_<status>']));
    // HTTP_<status> in general has no class of its own: its status gives one (amps explain HTTP_404).
    expect(json.find((e: { code: string }) => e.code === 'HTTP_<status>')).toMatchObject({ retryClass: null, exitCode: null, message: expect.stringMatching(/^An HTTP status whose body/) });
    // A category is the API's: amps' own are not in it.
    expect((await runCli(['explain', '--category', 'conflict'])).stdout).not.toContain('CLIENT_TIMEOUT');
  });

  it('explains amps\' own codes too, the ones printed when no Amps error came back, with their exit codes', async () => {
    for (const [code, exit] of [['CLIENT_TIMEOUT', 6], ['CONNECTION_REFUSED', 6], ['CONNECTION_RESET', 6], ['DNS_FAILURE', 6], ['TLS_FAILURE', 6], ['NETWORK_FAILURE', 6], ['PROTOCOL_ERROR', 8], ['INVALID_RESPONSE', 8], ['RESPONSE_TOO_LARGE', 8]] as const) {
      const r = await runCli(['explain', code.toLowerCase().replace(/_/g, '-')]);
      expect([r.code, r.stdout.split('\n')[0]], code).toEqual([0, `${code} · no Amps error: amps' own code`]);
      expect(r.stdout, code).toMatch(new RegExp(`Exit code\\s+${exit}`));
      const json = JSON.parse((await runCli(['explain', code, '--json'])).stdout);
      expect([json.code, json.exitCode, json.source], code).toEqual([code, exit, 'amps-local']);
    }
    // A body that is no Amps error is HTTP_<status>, classed by its status; amps' own stops by their exit code.
    for (const [code, exit] of [['HTTP_502', 6], ['http-418', 4], ['HTTP_100', 8], ['HTTP_401', 3], ['USAGE', 2], ['NO_API_KEY', 3], ['INPUT_NEEDED', 9], ['INVALID_INPUT', 2], ['INTERRUPTED', 130], ['OUTPUT_LOST', 11]] as const) {
      const json = JSON.parse((await runCli(['explain', code, '--json'])).stdout);
      expect([json.code, json.exitCode, json.source], code).toEqual([code.toUpperCase().replace('-', '_'), exit, 'amps-local']);
    }
    const none = await runCli(['explain', '418']);
    expect([none.code, none.stderr]).toEqual([2, expect.stringContaining('hint: amps explain HTTP_418 explains a 418 that carries no Amps error')]);
    const typo = await runCli(['explain', 'CONECTION_REFUSED']);
    expect([typo.code, typo.stderr]).toEqual([2, expect.stringContaining('did you mean CONNECTION_REFUSED')]);
  });

  it('takes a code as a copy from a document or a chat brings it: quoted, with a full stop, a typographic dash, an invisible character, a colour', async () => {
    for (const pasted of ['“DEVICE_OFFLINE”', '`device_offline`', '"DEVICE_OFFLINE"', 'DEVICE_OFFLINE.', 'DEVICE–OFFLINE', 'DEVICE_OFFLINE\u200b', '\u001b[31mDEVICE_OFFLINE\u001b[0m']) {
      const r = await runCli(['explain', pasted]);
      expect([r.code, r.stdout.split('\n')[0]], JSON.stringify(pasted)).toEqual([0, 'DEVICE_OFFLINE · HTTP 410 · Manufacturer: device discovery']);
    }
    const long = await runCli(['explain', 'X'.repeat(5000)]);
    expect([long.code, long.stderr.split('\n')[0]]).toEqual([2, `amps: unknown code '${'X'.repeat(64)}…'`]);
  });

  it('quotes the page\'s message as it quotes its what-to-do; a code of two meanings says so once, pointing nowhere else', async () => {
    const page = await runCli(['explain', 'DEVICE_OFFLINE']);
    expect(page.stdout.split('\n')[1]).toBe('  “The device is currently offline at the manufacturer.” (Amps docs)');
    // A code the page does not list: its message is not the page's, so it is not quoted as the docs'.
    const platform = await runCli(['explain', 'RATE_LIMIT_EXCEEDED']);
    expect(platform.stdout.split('\n')[1]).toBe('  The API key has exceeded its rate limit.');
    const two = await runCli(['explain', 'DEVICE_NOT_FOUND']);
    expect(two.stdout.split('\n')[0]).toBe("DEVICE_NOT_FOUND has 2 meanings; amps tells an answer's apart by its message, then its path, then its status.");
    expect(two.stdout).not.toContain('amps explain DEVICE_NOT_FOUND');
  });

  it('exits 2 with the closest codes for an unknown one', async () => {
    const r = await runCli(['explain', 'SCHEDULAR_ACTIV']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown code 'SCHEDULAR_ACTIV'");
    expect(r.stderr).toContain('did you mean SCHEDULER_ACTIVE');
    expect(r.stdout).toBe('');
  });
});

describe('amps decode (built binary)', () => {
  it('decodes a bare envelope file and exits with its class', async () => {
    const r = await runCli(['decode', join(API_DOCS, 'examples/error-device-offline-manufacturer.json')]);
    expect(r.code).toBe(7);
    expect(r.stdout).toContain('DEVICE_OFFLINE · HTTP 410');
    expect(r.stdout).toContain('Request ID  req_8a2Bf3kP');
    expect(r.stdout).toContain('More: amps explain DEVICE_OFFLINE');
    // The docs' "When to retry" row quoted as theirs; amps' advice apart, labelled as amps'.
    expect(r.stdout).toContain('When to retry: “Yes, after a delay. The device is briefly unreachable.” (Amps docs)');
    expect(r.stdout).toMatch(/^ {2}amps class: retry after a delay: /m);
    expect(r.stdout).not.toContain('Retry:');
    const json = await runCli(['decode', join(API_DOCS, 'examples/error-device-offline-manufacturer.json'), '--json']);
    expect(JSON.parse(json.stdout).error).toMatchObject({ retryQuote: 'Yes, after a delay. The device is briefly unreachable.', retryClass: 'after_delay', whatToDo: expect.stringMatching(/^\S/), ampsWhatToDo: null });
    // A code off the error-codes page: no quote, and amps' advice in a field of its own.
    const conflict = JSON.parse((await runCli(['decode', join(API_DOCS, 'examples/error-conflict-no-strategy-cookbook.json'), '--json'])).stdout).error;
    expect(conflict).toMatchObject({ code: 'CONFLICT', whatToDo: null, retryQuote: null, ampsWhatToDo: expect.stringContaining('onConflict') });
    expect(JSON.parse(json.stdout).error.documentedStatus).toBeNull();
    expect(r.stdout).not.toContain('the docs give');
    // The same code with a status the docs do not give it: said, in text and JSON.
    const moved = join(API_DOCS, 'examples/error-device-offline-manufacturer.json');
    const other = await runCli(['decode', moved, '--status', '409']);
    expect([other.code, other.stdout]).toEqual([7, expect.stringContaining('amps note: the docs give DEVICE_OFFLINE with HTTP 410; this one came with 409.')]);
    expect(JSON.parse((await runCli(['decode', moved, '--status', '409', '--json'])).stdout).error.documentedStatus).toBe(410);
  });

  it('gives no advice the docs\' own row contradicts: COMMAND_FAILED, BIND_NOT_SUPPORTED, SCHEDULER_FULL', async () => {
    const advice: Record<string, [number, RegExp]> = {
      COMMAND_FAILED: [4, /amps class: resubmit once the device's condition has cleared: Inspect the action/],
      BIND_NOT_SUPPORTED: [4, /amps class: do not retry: Do not retry: no change to the request, and no wait/],
      SCHEDULER_FULL: [5, /amps class: free a schedule slot: Cancel an existing schedule, or have the end user clear rows/],
    };
    const dir = freshConfigDir();
    for (const [code, [exit, line]] of Object.entries(advice)) {
      const file = join(dir, `${code}.json`);
      writeFileSync(file, JSON.stringify({ success: false, error: { code, message: 'x', details: {} } }));
      const r = await runCli(['decode', file]);
      expect(r.code, code).toBe(exit);
      expect(r.stdout, code).toMatch(line);
      expect(r.stdout, code).not.toMatch(/change the request body or target|onConflict, or clear/);
    }
  });

  it('counts a SCHEDULER_ACTIVE\'s overlapping groups only where the answer gave them', async () => {
    const body = (details: unknown) => JSON.stringify({ success: false, error: { code: 'SCHEDULER_ACTIVE', message: 'The device has an active schedule.', details }, meta: { requestId: 'req_1' } });
    const none = await runCli(['decode', '--status', '409', '-'], { input: body({ recoveryStrategies: ['cancel_and_replace'] }) });
    expect(none.code).toBe(5);
    expect(none.stderr + none.stdout).not.toContain('Overlapping schedule groups');
    const listed = await runCli(['decode', '--status', '409', '-'], { input: body({ overlappingGroups: [] }) });
    expect(listed.stderr + listed.stdout).toContain('Overlapping schedule groups: 0');
  });

  it('shows every SCHEDULER_ACTIVE detail as the answer gave it: its reason, a list that is no list, items that are no group, strategies amps cannot send', async () => {
    const body = (details: unknown) => JSON.stringify({ success: false, error: { code: 'SCHEDULER_ACTIVE', message: 'A schedule is currently active on the device and must be cleared first.', details }, meta: { requestId: 'req_1' } });
    const shown = async (details: unknown) => {
      const r = await runCli(['decode', '--status', '409', '-'], { input: body(details) });
      expect(r.code).toBe(5);
      return r.stdout;
    };
    expect(await shown({ reason: 'foreign_schedule_overlap' })).toContain('Reason: foreign_schedule_overlap');
    expect(await shown({ overlappingGroups: 'x' })).toContain('Overlapping schedule groups: x (not a list)');
    expect(await shown({ overlappingGroups: [{ groupId: 'grp_1' }, 'a', 2, null] })).toContain('Overlapping schedule groups: 4, 3 of them not a group (--json shows them)');
    const many = await shown({ overlappingGroups: Array.from({ length: 45 }, (_, i) => ({ groupId: `grp_${i}` })) });
    expect([many.includes('Overlapping schedule groups: 45'), many.includes('… 25 more (--json shows all)')]).toEqual([true, true]);
    expect(await shown({ existingGroupCount: 3 })).toContain('Schedule groups on the device: 3');
    expect(await shown({ recoveryStrategies: 'cancel_and_replace' })).toContain('Strategies on offer: none readable (cancel_and_replace, not a list)');
    expect(await shown({ recoveryStrategies: ['bogus_strategy'] })).toContain('Strategies on offer: bogus_strategy (none amps can send: onConflict takes cancel_and_replace or queue_after)');
    expect(await shown({ recoveryStrategies: ['cancel_and_replace', 'explode', 7] })).toContain('Strategies on offer: cancel_and_replace, explode, 7 (amps cannot send explode, 7: onConflict takes cancel_and_replace or queue_after)');
  });

  it('a retryAfterSeconds that is no number is shown as what it is, never as seconds amps would wait', async () => {
    const shown = async (retryAfterSeconds: unknown) => {
      const r = await runCli(['decode', '--status', '429', '-'], { input: JSON.stringify({ error: { code: 'RATE_LIMITED', message: 'Rate limit exceeded.', details: { retryAfterSeconds } }, meta: { requestId: 'req_1' } }) });
      expect(r.code).toBe(6);
      return r.stdout.split('\n').filter((line) => line.includes('Retry after')).map((line) => line.trim());
    };
    expect(await shown('30')).toEqual(['Retry after: not a number of seconds (the text "30")']);
    expect(await shown(true)).toEqual(['Retry after: not a number of seconds (true)']);
    expect(await shown(null)).toEqual(['Retry after: not a number of seconds (null)']);
    // A negative number is a number, and no wait: said so (it read "not a number of seconds").
    expect((await shown(-5))[0]).toBe('Retry after: -5 s, a negative wait, which is none (the backoff applies)');
    expect(await shown(30)).toEqual(['Retry after: 30 s', 'Retry after: 30 s']);
  });

  it('--status that contradicts a saved status line is refused (it would decode, and say, a status the response never came with); one that agrees is taken', async () => {
    const raw = 'HTTP/1.1 429 Too Many Requests\r\ncontent-type: application/json\r\n\r\n' + JSON.stringify({ success: false, error: { code: 'RATE_LIMITED', message: 'x' } });
    const contradicted = await runCli(['decode', '--status', '503', '-'], { input: raw });
    expect([contradicted.code, contradicted.stdout, contradicted.stderr.split('\n')[0]]).toEqual([2, '', "amps: --status 503 contradicts the response's own status line (HTTP 429)"]);
    expect((await runCli(['decode', '--status', '429', '-'], { input: raw })).code).toBe(6);
  });

  it('amps\' own --json error (a refused connection) is said to be amps\', not a response, with where it is explained', async () => {
    const own = JSON.stringify({ error: { code: 'CONNECTION_REFUSED', status: null, message: 'The connection was refused; nothing was sent.', exitCode: 6 }, meta: { requestId: null } });
    const r = await runCli(['decode', '-'], { input: own });
    expect([r.code, r.stderr]).toEqual([2, "amps: the input is amps' own error CONNECTION_REFUSED, not a response of the API's: no Amps error came back to decode\n  hint: amps explain CONNECTION_REFUSED says what it means and its exit code\n"]);
  });

  it('curl -i through an HTTPS proxy: the proxy\'s 200 Connection established is passed over for the response after it', async () => {
    const raw = 'HTTP/1.1 200 Connection established\r\n\r\nHTTP/2 410\r\ncontent-type: application/json\r\n\r\n' + JSON.stringify({ success: false, error: { code: 'DEVICE_OFFLINE', message: 'The device is currently offline at the manufacturer.' }, meta: { requestId: 'req_p' } });
    const r = await runCli(['decode', '-', '--json'], { input: raw });
    expect([r.code, JSON.parse(r.stdout).error]).toEqual([7, expect.objectContaining({ code: 'DEVICE_OFFLINE', status: 410 })]);
  });

  it('text before the JSON is not decoded under a status guessed from a code found in it; CR-only line ends are line ends', async () => {
    const prefixed = await runCli(['decode', '-'], { input: 'Response: {"success":false,"error":{"code":"DEVICE_OFFLINE","message":"x"}}' });
    expect([prefixed.code, prefixed.stderr.split('\n')[0]]).toEqual([2, 'amps: the input has no HTTP status, and is not JSON from its start (text before it, or not UTF-8)']);
    const cr = await runCli(['decode', '-', '--json'], { input: `HTTP/1.1 409 Conflict\rcontent-type: application/json\r\r${JSON.stringify({ success: false, error: { code: 'SCHEDULER_ACTIVE', message: 'x' } })}` });
    expect([cr.code, JSON.parse(cr.stdout).error.code]).toEqual([5, 'SCHEDULER_ACTIVE']);
    // A final LF after them (as a shell's printf or an editor adds) changes nothing.
    const crLf = await runCli(['decode', '-', '--json'], { input: `HTTP/1.1 409 Conflict\rcontent-type: application/json\r\r${JSON.stringify({ success: false, error: { code: 'SCHEDULER_ACTIVE', message: 'x' } })}\n` });
    expect([crLf.code, JSON.parse(crLf.stdout).error.code]).toEqual([5, 'SCHEDULER_ACTIVE']);
  });

  it('a failed action that names no error code is read as UNKNOWN_ERROR (exit 8, as actions wait exits), and says so', async () => {
    const r = await runCli(['decode', '-', '--json'], { input: JSON.stringify({ id: 'act_3', state: 'failed', errorCode: null, errorMessage: null }) });
    expect([r.code, JSON.parse(r.stdout).error]).toEqual([8, expect.objectContaining({ code: 'UNKNOWN_ERROR', message: '(the action carried no message)', problem: 'the action failed and named no error code: amps reads it as UNKNOWN_ERROR, unclassified', actionId: 'act_3', shape: 'action' })]);
    // With a message of its own, the missing code is said all the same.
    const said = await runCli(['decode', '-'], { input: JSON.stringify({ id: 'act_5', state: 'failed', errorCode: null, errorMessage: 'Inverter fault' }) });
    expect([said.code, said.stdout]).toEqual([8, expect.stringContaining('  Inverter fault\n  the action failed and named no error code: amps reads it as UNKNOWN_ERROR, unclassified.\n')]);
    // A record in another state is no failure to decode.
    expect((await runCli(['decode', '-'], { input: JSON.stringify({ id: 'act_4', state: 'completed', errorCode: null }) })).code).toBe(2);
  });

  it('a message that is not text is said as such, never as none', async () => {
    const body = (message: unknown) => JSON.stringify({ success: false, error: { code: 'DEVICE_OFFLINE', message } });
    const number = await runCli(['decode', '--status', '410', '--json', '-'], { input: body(12) });
    expect(JSON.parse(number.stdout).error.message).toBe("(the response's message was not text (12); the catalogue's for DEVICE_OFFLINE: The device is currently offline at the manufacturer.)");
    const object = await runCli(['decode', '--status', '410', '-'], { input: body({ text: 'x' }) });
    expect(object.stdout).toContain("(the response's message was not text (an object); the catalogue's for DEVICE_OFFLINE:");
    const none = await runCli(['decode', '--status', '410', '-'], { input: body(null) });
    expect(none.stdout).toContain('(the response carried no message; the catalogue');
  });

  it('decodes a raw HTTP response from stdin, headers included', async () => {
    const raw = 'HTTP/1.1 429 Too Many Requests\r\nRetry-After: 12\r\ncontent-type: application/json\r\n\r\n' +
      JSON.stringify({ success: false, error: { code: 'RATE_LIMIT_EXCEEDED', message: 'The API key has exceeded its rate limit.', details: { retryAfterSeconds: 12 } }, meta: { requestId: 'req_x', path: '/battery' } });
    const r = await runCli(['decode', '-', '--json'], { input: raw });
    expect(r.code).toBe(6);
    const out = JSON.parse(r.stdout);
    expect(out.error).toMatchObject({ code: 'RATE_LIMIT_EXCEEDED', status: 429, retryAfterSeconds: 12, exitCode: 6 });
    expect(out.meta.requestId).toBe('req_x');
  });

  it('a raw response saved with its chunked framing (curl --raw -i, nc) is joined as a live one is: its code, not "not JSON"', async () => {
    const body = Buffer.from(JSON.stringify({ success: false, error: { code: 'DEVICE_OFFLINE', message: 'Gerät offline', details: {} }, meta: { requestId: 'req_chunked1' } }));
    // Two chunks cut inside the ä's two bytes, the first with an extension, as a server may send them.
    const cut = body.indexOf(0xc3) + 1;
    const framed = Buffer.concat([
      Buffer.from('HTTP/1.1 410 Gone\r\ncontent-type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n'),
      Buffer.from(`${cut.toString(16)};name=x\r\n`), body.subarray(0, cut), Buffer.from('\r\n'),
      Buffer.from(`${(body.length - cut).toString(16)}\r\n`), body.subarray(cut), Buffer.from('\r\n0\r\n\r\n'),
    ]);
    const file = join(freshConfigDir(), 'chunked.txt');
    writeFileSync(file, framed);
    const r = await runCli(['decode', file, '--json']);
    const out = JSON.parse(r.stdout);
    expect([r.code, out.error.code, out.error.message, out.meta.requestId]).toEqual([7, 'DEVICE_OFFLINE', 'Gerät offline', 'req_chunked1']);
    expect(out.error.notUtf8 ?? false).toBe(false);
    // Chunk data holding a line end, and a capture without its closing chunk: sized in bytes as read.
    const spaced = Buffer.from('{"success":false,\r\n"error":{"code":"DEVICE_OFFLINE","message":"x"}}');
    const capture = Buffer.concat([Buffer.from(`HTTP/1.1 410 Gone\r\nTransfer-Encoding: chunked\r\n\r\n${spaced.length.toString(16)}\r\n`), spaced, Buffer.from('\r\n')]);
    writeFileSync(file, capture);
    const crlf = await runCli(['decode', file, '--json']);
    expect([crlf.code, JSON.parse(crlf.stdout).error.code]).toEqual([7, 'DEVICE_OFFLINE']);
    // Framing that does not add up is no framing: the body is decoded as it stands.
    const broken = await runCli(['decode', '-', '--json'], { input: 'HTTP/1.1 410 Gone\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n' });
    expect([broken.code, JSON.parse(broken.stdout).error.code]).toEqual([4, 'HTTP_410']);
  });

  it('prints no key a saved response holds, the configured one or any other, in text or JSON', async () => {
    const key = 'amps_sk_test_SECRETKEY1234567890abcdef';
    const raw = 'HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nX-Echo: sk_live_otherKey987654\r\n\r\n' +
      JSON.stringify({ success: false, error: { code: 'INVALID_API_KEY', message: `Invalid API key ${key}`, details: { k: key, other: 'sk_live_otherKey987654' } }, meta: { requestId: `req_${key}` } });
    for (const flags of [[], ['--json']]) {
      const r = await runCli(['decode', '-', ...flags], { input: raw, env: { ...cleanEnv(), AMPS_API_KEY: key } });
      expect(r.code).toBe(3);
      expect(r.stdout + r.stderr).not.toMatch(/SECRETKEY|otherKey/);
      expect(r.stdout).toContain('[redacted key]');
    }
    // After a JSON escape, or written with escapes itself.
    const escaped = String.raw`{"error":{"code":"INVALID_API_KEY","message":"Key rejected:\nsk_live_4eC39HqLyjWDarjtT1zdp7dc","details":{"a":"\t\u0073k_live_4eC39HqLyjWDarjtT1zdp7dc"}}}`;
    const r = await runCli(['decode', '-', '--status', '401'], { input: escaped });
    expect(r.stdout).not.toContain('4eC39HqLyjWDarjtT1zdp7dc');
    expect(r.stdout).toContain('[redacted key]');
    // Written with escapes in a body cut off before it parses, or in a page's excerpt.
    const cut = await runCli(['decode', '-'], { input: 'HTTP/1.1 401 Unauthorized\ncontent-type: application/json\n\n' + String.raw`{"success":false,"error":{"code":"UNAUTHORIZED","message":"bad \u0073k_live_abcdef123456"},"meta":{"requestId":"req_` });
    const page = await runCli(['decode', '-'], { input: 'HTTP/1.1 502 Bad Gateway\n\n' + String.raw`<script>var k="\u0020sk_live_abcdef123456"</script>` });
    for (const output of [cut.stdout, page.stdout]) {
      expect(output).not.toContain('abcdef123456');
      expect(output).toContain('[redacted key]');
    }
    // A word that merely contains the shape is left alone.
    const word = await runCli(['decode', '-', '--status', '400'], { input: '{"error":{"code":"VALIDATION_ERROR","message":"task_test_results9 failed"}}' });
    expect(word.stdout).toContain('task_test_results9');
  });

  it('a saved 2xx whose body is not UTF-8 decodes as the same answer live does: INVALID_RESPONSE, exit 8', async () => {
    const file = join(freshConfigDir(), 'latin1.txt');
    writeFileSync(file, Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n{"success":true,"data":{"id":"b1","x":"caf'), Buffer.from([0xe9]), Buffer.from('"}}')]));
    const r = await runCli(['decode', file]);
    expect([r.code, r.stdout.split('\n')[1]]).toEqual([8, '  HTTP 200 with a body that is not UTF-8 text']);
  });

  it('an error whose message is not UTF-8 is decoded by its code, and says its replacement characters are not the API\'s words', async () => {
    const file = join(freshConfigDir(), 'latin1-error.txt');
    writeFileSync(file, Buffer.concat([Buffer.from('HTTP/1.1 410 Gone\r\ncontent-type: application/json\r\n\r\n{"success":false,"error":{"code":"DEVICE_OFFLINE","message":"Ger'), Buffer.from([0xe4]), Buffer.from('t offline"}}')]));
    const r = await runCli(['decode', file]);
    expect([r.code, r.stdout.split('\n')[1]]).toEqual([7, '  Ger\uFFFDt offline']);
    expect(r.stdout).toContain('  The body was not UTF-8 text: each \uFFFD above stands for bytes amps could not read.');
    const json = await runCli(['decode', file, '--json']);
    expect(JSON.parse(json.stdout).error).toMatchObject({ code: 'DEVICE_OFFLINE', notUtf8: true });
    // A UTF-8 body says nothing of it.
    writeFileSync(file, 'HTTP/1.1 410 Gone\r\n\r\n{"success":false,"error":{"code":"DEVICE_OFFLINE","message":"Ger\u00e4t offline"}}');
    expect(JSON.parse((await runCli(['decode', file, '--json'])).stdout).error).toMatchObject({ message: 'Ger\u00e4t offline', notUtf8: false });
  });

  it('decodes an HTML 502 from a proxy as transient', async () => {
    const r = await runCli(['decode', '-'], { input: 'HTTP/1.1 502 Bad Gateway\n\n<html><title>502 Bad Gateway</title></html>' });
    expect(r.code).toBe(6);
    expect(r.stdout).toContain('an HTML page, not JSON');
    // No code to explain: the codes of its status, not UNKNOWN_ERROR's once-then-escalate beside a backoff.
    expect(r.stdout).toContain('More: amps explain HTTP_502; amps explain 502 (the codes the API sends with HTTP 502; this answer named none)');
    expect(r.stdout).not.toContain('UNKNOWN_ERROR');
    // A long page: its excerpt ends where the decoder cut it, with no count of the excerpt's rest said as the body's.
    const long = await runCli(['decode', '-'], { input: `HTTP/1.1 502 Bad Gateway\n\n<html><title>502 Bad Gateway</title><body>${'x'.repeat(1000)}</body></html>` });
    const body = long.stdout.split('\n').find((line) => line.startsWith('  Body: '));
    expect(body).toMatch(/^ {2}Body: 502 Bad Gateway — <html>.*x…$/);
  });

  it('reads what arrived of a message the cut fell inside, a gateway page\'s request id header, and a body on a 204', async () => {
    const cut = await runCli(['decode', '-', '--status', '410'], { input: '{"success":false,"error":{"code":"DEVICE_OFFLINE","message":"The device is currently off' });
    expect([cut.code, cut.stdout.split('\n')[1]]).toEqual([7, '  The device is currently off… (cut off)']);
    const escape = await runCli(['decode', '-', '--status', '410'], { input: '{"success":false,"error":{"code":"DEVICE_OFFLINE","message":"The device \\u00' });
    expect(escape.stdout.split('\n')[1]).toBe('  The device … (cut off)');
    const page = await runCli(['decode', '-', '--json'], { input: 'HTTP/1.1 502 Bad Gateway\r\nX-Request-Id: req_gateway_1\r\n\r\n<html>bad gateway</html>' });
    expect(JSON.parse(page.stdout).meta.requestId).toBe('req_gateway_1');
    const failed204 = await runCli(['decode', '-', '--status', '204'], { input: '{"success":false,"error":{"code":"DEVICE_OFFLINE","message":"x"}}' });
    expect([failed204.code, failed204.stdout.split('\n')[0]]).toEqual([8, expect.stringContaining('INVALID_RESPONSE')]);
  });

  it('--json says how many items a long details list left out, however many times it was bounded', async () => {
    const fields = Array.from({ length: 20_000 }, (_, i) => ({ path: `f${i}`, problem: 'p' }));
    const r = await runCli(['decode', '-', '--status', '400', '--json'], { input: JSON.stringify({ success: false, error: { code: 'VALIDATION_ERROR', message: 'm', details: { fields } } }) });
    const shown = JSON.parse(r.stdout).error.details.fields;
    expect([shown.length, shown.at(-1)]).toEqual([10_001, '(10000 more items omitted)']);
    // The same for an object's keys and a long string.
    const wide = Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`k${i}`, i]));
    const r2 = await runCli(['decode', '-', '--status', '400', '--json'], { input: JSON.stringify({ success: false, error: { code: 'VALIDATION_ERROR', message: 'm', details: { wide, note: 'a'.repeat(1_500_000) } } }) });
    const details = JSON.parse(r2.stdout).error.details;
    expect(details.wide['…']).toBe('(10000 more keys omitted)');
    expect(details.note.endsWith('… (500000 more characters)')).toBe(true);
  });

  it('--status is three decimal digits; an empty input says so', async () => {
    for (const status of ['0x199', '4.09e2', ' 409', '99', '600']) {
      const r = await runCli(['decode', '-', '--status', status], { input: '{}' });
      expect([r.code, r.stderr], status).toEqual([2, `amps: --status takes an HTTP status (100-599), not '${status}'\n`]);
    }
    const noBody = await runCli(['decode', '-'], { input: 'HTTP/1.1 204 No Content\r\n\r\n' });
    expect([noBody.code, noBody.stdout]).toEqual([0, 'Not an error: HTTP 204 with no body.\n']);
    const empty = await runCli(['decode', '-'], { input: '' });
    expect([empty.code, empty.stderr.split('\n')[0]]).toEqual([2, 'amps: the response is empty: there is nothing to decode']);
  });

  it('needs --status when neither the body nor the catalogue gives one', async () => {
    const dir = freshConfigDir();
    const file = join(dir, 'odd.json');
    writeFileSync(file, '{"success":false,"error":{"code":"NEVER_SEEN","message":"?"}}');
    const missing = await runCli(['decode', file]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--status');
    const given = await runCli(['decode', file, '--status', '500']);
    expect(given.code).toBe(8);
    expect(given.stdout).toContain('not in the amps catalogue');
  });

  it('infers no status a code\'s meanings disagree on, and passes off no catalogue message as the response\'s', async () => {
    const dir = freshConfigDir();
    const bare = join(dir, 'bare.json');
    writeFileSync(bare, '{"success":false,"error":{"code":"COMMAND_NOT_SUPPORTED"}}');
    const missing = await runCli(['decode', bare]);
    expect([missing.code, missing.stderr.split('\n')[0]]).toEqual([2, 'amps: the response has no HTTP status, and its code COMMAND_NOT_SUPPORTED has meanings with different statuses (422, 400) that its message does not tell apart']);
    // Its message tells them apart: the manufacturer's, 400, as the error-codes page gives it.
    const said = join(dir, 'said.json');
    writeFileSync(said, '{"success":false,"error":{"code":"COMMAND_NOT_SUPPORTED","message":"The device manufacturer does not support this command."}}');
    expect((await runCli(['decode', said])).stdout).toContain('COMMAND_NOT_SUPPORTED · HTTP 400');
    const given = await runCli(['decode', bare, '--status', '400']);
    expect(given.stdout).toContain('(the response carried no message; the catalogue\'s for COMMAND_NOT_SUPPORTED: The device manufacturer does not support this command.)');
  });

  it('decodes the docs\' failed action record that was cut off mid-way: its code, message and id, said to be cut off', async () => {
    const r = await runCli(['decode', join(API_DOCS, 'examples/action-failed-scheduler-active.truncated.txt')]);
    expect(r.code).toBe(5);
    expect(r.stdout).toContain('✖ SCHEDULER_ACTIVE · failed action act_failed_003 · State conflict');
    expect(r.stdout).toContain('Native scheduler is active; clear it before issuing a direct command.');
    expect(r.stdout).toContain('The body was cut off before its end');
  });

  it('says which details field names are amps\' own, where the docs describe the fields without naming them', async () => {
    const r = await runCli(['explain', 'INVALID_OEM_PARAMETERS']);
    expect(r.stdout).toContain('Details fields (the docs name none of them: these names are amps\' and its sandbox\'s):');
    expect(r.stdout).toMatch(/^ {2}parameter\s+the parameter$/m);
    expect((await runCli(['explain', 'SCHEDULER_ACTIVE'])).stdout).toContain('Details fields:\n');
    for (const code of ['SCHEDULER_FULL', 'MODE_OVERRIDDEN', 'VPP_LOCKED']) expect((await runCli(['explain', code])).stdout, code).toContain('Details fields (the docs name none of them');
    const window = (await runCli(['explain', 'INVALID_TIME_WINDOW'])).stdout;
    expect(window).toContain('Details fields (those marked amps\' are named by amps and its sandbox, not the docs):');
    expect(window).toMatch(/^ {2}reason {2,}the docs name the field, not its values; amps and its sandbox use end_without_start/m);
    expect(window).toMatch(/^ {2}policy \(amps'\)/m);
    // The names the docs give no details for at all, or show none of: every one amps'.
    for (const code of ['RATE_LIMIT_EXCEEDED', 'SETTING_OUT_OF_RANGE', 'ACTION_NOT_CANCELLABLE', 'DIRECT_ACTION_UNSUPPORTED']) expect((await runCli(['explain', code])).stdout, code).toContain('Details fields (the docs name none of them');
    // UNSUPPORTED_MODE: the docs name deviceCapabilities.supportedModes, not the command.
    expect((await runCli(['explain', 'UNSUPPORTED_MODE'])).stdout).toMatch(/^ {2}command \(amps'\)/m);
  });

  it('reports a missing file in one line, exit 2', async () => {
    const r = await runCli(['decode', '/no/such/file.json'], { env: cleanEnv() });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('says a loop of symbolic links in words, not as a bare ELOOP', async () => {
    const dir = freshConfigDir();
    symlinkSync(join(dir, 'b'), join(dir, 'a'));
    symlinkSync(join(dir, 'a'), join(dir, 'b'));
    const r = await runCli(['decode', join(dir, 'a')], { env: cleanEnv() });
    expect([r.code, r.stderr.trim()]).toEqual([2, `amps: cannot read the response file ${join(dir, 'a')}: a loop of symbolic links (ELOOP)`]);
  });
});
