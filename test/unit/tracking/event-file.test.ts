import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  appendEvents,
  EventLineError,
  formatEvent,
  parseEventLine,
  readEventFile,
  type LogEvent,
} from '../../../src/tracking/ingest/event-file.js';
import { EventFileError, InvalidNameError } from '../../../src/tracking/ingest/ingest-errors.js';
import { WarningList, formatWarning } from '../../../src/tracking/ingest/ingest-warnings.js';
import { cleanupTempDirs, tempDir } from '../../support/temp-repo.js';

afterAll(cleanupTempDirs);

async function readAll(path: string, options: { maxLineBytes?: number } = {}) {
  const events: Array<{ event: LogEvent; line: number }> = [];
  const warnings = new WarningList();
  const summary = await readEventFile(
    path,
    (event, line) => events.push({ event, line }),
    warnings,
    {
      displayName: 'events.jsonl',
      ...options,
    },
  );
  return { events, warnings: warnings.list().map(formatWarning), summary };
}

function file(content: string | Buffer): string {
  const path = join(tempDir('ghml-events-'), 'events.jsonl');
  writeFileSync(path, content);
  return path;
}

describe('formatEvent / parseEventLine', () => {
  const samples: LogEvent[] = [
    { type: 'metric', key: 'acc', value: 0.93, step: 3, timestamp: 1732600000000 },
    { type: 'metric', key: 'loss', value: 1 },
    { type: 'metrics', values: { a: 1, b: -2.5 }, step: 2, timestamp: 5 },
    {
      type: 'metric_batch',
      keys: ['a', 'a', 'b'],
      values: [1, 2, 3],
      steps: [0, null, 7],
      timestamps: [10, 11, 12],
    },
    { type: 'param', key: 'lr', value: '0.01' },
    { type: 'tag', key: 'note', value: 'line "one"\nline two' },
    { type: 'artifact', path: 'model/model.pkl' },
  ];
  it.each(samples)('round-trips %j', (event) => {
    const line = formatEvent(event);
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toContain('\n');
    expect(parseEventLine(line)).toEqual(event);
  });

  it('writes non-finite values as strings and reads them back', () => {
    const line = formatEvent({
      type: 'metric',
      key: 'x',
      value: Number.NaN,
      step: 0,
      timestamp: 1,
    });
    expect(line).toBe('{"type":"metric","key":"x","value":"NaN","step":0,"timestamp":1}\n');
    const batch = formatEvent({
      type: 'metric_batch',
      keys: ['a', 'b'],
      values: [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY],
      steps: [null, null],
      timestamps: [1, 1],
    });
    expect(batch).toContain('"values":["Infinity","-Infinity"]');
    const parsed = parseEventLine(batch);
    expect(parsed.type === 'metric_batch' && parsed.values).toEqual([
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
    ]);
    expect((parseEventLine(line) as { value: number }).value).toBeNaN();
  });

  it("accepts Python's bare NaN / Infinity / -Infinity tokens but leaves strings alone", () => {
    const event = parseEventLine(
      '{"type": "metrics", "values": {"a": NaN, "b": Infinity, "c": -Infinity, "d": 1}}',
    );
    expect(event.type === 'metrics' && event.values).toEqual({
      a: Number.NaN,
      b: Number.POSITIVE_INFINITY,
      c: Number.NEGATIVE_INFINITY,
      d: 1,
    });
    const tag = parseEventLine('{"type":"tag","key":"k","value":"NaN \\" Infinity","x":NaN}');
    expect(tag).toEqual({ type: 'tag', key: 'k', value: 'NaN " Infinity' });
  });

  it('stringifies unquoted param values like MLflow does', () => {
    expect(parseEventLine('{"type":"param","key":"lr","value":0.01}')).toEqual({
      type: 'param',
      key: 'lr',
      value: '0.01',
    });
    expect(parseEventLine('{"type":"param","key":"x","value":true}')).toMatchObject({
      value: 'true',
    });
  });

  it.each([
    ['{"type":"metric","key":"acc"', 'not valid JSON'],
    ['[1,2]', 'not a JSON object'],
    ['{"key":"a"}', 'missing "type"'],
    ['{"type":"bogus"}', "unknown type 'bogus'"],
    ['{"type":"metric","value":1}', 'missing "key"'],
    [
      '{"type":"param","key":"a","value":{"x":1}}',
      "param 'a' value must be a string, got an object",
    ],
    [
      '{"type":"metric_batch","keys":["a"],"values":[],"steps":[],"timestamps":[]}',
      'equal lengths',
    ],
  ])('rejects %s', (line, message) => {
    expect(() => parseEventLine(line)).toThrow(EventLineError);
    expect(() => parseEventLine(line)).toThrow(message);
  });

  it('rejects a non-numeric metric naming the key', () => {
    expect(() => parseEventLine('{"type":"metric","key":"acc","value":"high"}')).toThrow(
      "metric 'acc' value must be a number, got 'high' (a string).",
    );
    expect(() => parseEventLine('{"type":"metric","key":"acc","value":1,"step":1.5}')).toThrow(
      "metric 'acc' step must be an integer",
    );
  });
});

describe('readEventFile', () => {
  it('warns about a malformed line with its number and keeps every other event', async () => {
    const path = file(
      [
        '{"type":"param","key":"lr","value":"0.01"}',
        '{"type":"metric","key":"acc","value":0.5,"step":0,"timestamp":1}',
        'this is not json',
        '',
        '{"type":"metric","key":"acc","value":"oops","step":1}',
        '{"type":"metric","key":"acc","value":0.9,"step":2,"timestamp":3}',
        '{"type":"metric_batch","keys":["a","b","c"],"values":[1,"x",3],"steps":[0,0,0],"timestamps":[1,1,1]}',
        '',
      ].join('\n'),
    );
    const { events, warnings, summary } = await readAll(path);
    expect(events.map((e) => e.line)).toEqual([1, 2, 6, 7]);
    expect(events[3]?.event).toEqual({
      type: 'metric_batch',
      keys: ['a', 'c'],
      values: [1, 3],
      steps: [0, 0],
      timestamps: [1, 1],
    });
    expect(warnings).toEqual([
      expect.stringMatching(/^events\.jsonl:3: not valid JSON .*; line skipped$/),
      "events.jsonl:5: metric 'acc' value must be a number, got 'oops' (a string). Line skipped.",
      "events.jsonl:7: metric 'b' value must be a number, got 'x' (a string). Entry skipped.",
    ]);
    expect(summary).toEqual({ found: true, lines: 7, events: 4, skipped: 2 });
  });

  it('reports a truncated final line (writer killed mid-write) and keeps the rest', async () => {
    const path = file(
      '{"type":"metric","key":"a","value":1,"step":0,"timestamp":1}\n{"type":"metric","key":"a","val',
    );
    const { events, warnings } = await readAll(path);
    expect(events).toHaveLength(1);
    expect(warnings).toEqual([
      'events.jsonl:2: truncated final line (the writer stopped mid-write?); skipped',
    ]);
  });

  it('keeps a complete final line that lacks its newline, and handles CRLF', async () => {
    const path = file(
      '{"type":"tag","key":"a","value":"1"}\r\n{"type":"tag","key":"b","value":"2"}',
    );
    const { events, warnings } = await readAll(path);
    expect(events.map((e) => e.event)).toEqual([
      { type: 'tag', key: 'a', value: '1' },
      { type: 'tag', key: 'b', value: '2' },
    ]);
    expect(warnings).toEqual([]);
  });

  it('turns an event the consumer rejects into a warning and goes on', async () => {
    const path = file(
      '{"type":"param","key":"a//b","value":"1"}\n{"type":"param","key":"ok","value":"1"}\n',
    );
    const kept: string[] = [];
    const warnings = new WarningList();
    await readEventFile(
      path,
      (event) => {
        if (event.type === 'param' && event.key.includes('//')) {
          throw new InvalidNameError('param key', event.key, "must not contain '//'", 'fix it');
        }
        if (event.type === 'param') kept.push(event.key);
      },
      warnings,
      { displayName: 'ev' },
    );
    expect(kept).toEqual(['ok']);
    expect(warnings.list().map(formatWarning)).toEqual([
      "ev:1: Invalid param key 'a//b': must not contain '//'. Event skipped.",
    ]);
  });

  it('reads lines that span read chunks and skips over-long lines without buffering them', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 40_000; i++) {
      lines.push(
        formatEvent({ type: 'metric', key: `k${i % 7}`, value: i / 3, step: i, timestamp: 1 }),
      );
    }
    lines.splice(20_000, 0, `{"type":"tag","key":"big","value":"${'x'.repeat(3_000_000)}"}\n`);
    const path = file(lines.join(''));
    const { events, warnings, summary } = await readAll(path, { maxLineBytes: 1_000_000 });
    expect(events).toHaveLength(40_000);
    expect(events[39_999]?.event).toMatchObject({ step: 39_999 });
    expect(warnings).toEqual([
      'events.jsonl:20001: line is 3000037 bytes, over the 1000000-byte limit; skipped',
    ]);
    expect(summary.lines).toBe(40_001);
  });

  it('keeps multi-byte characters split across chunks intact', async () => {
    const value = 'é€😀'.repeat(200_000);
    const path = file(
      `${formatEvent({ type: 'tag', key: 'u', value: value.slice(0, 4000) })}${'{"type":"tag","key":"v","value":"' + value + '"}\n'}`,
    );
    const { events } = await readAll(path);
    expect(events[1]?.event).toEqual({ type: 'tag', key: 'v', value });
  });

  it('treats a missing file as no events and an unreadable one as an error', async () => {
    const dir = tempDir('ghml-events-');
    expect((await readAll(join(dir, 'none.jsonl'))).summary.found).toBe(false);
    mkdirSync(join(dir, 'folder'));
    await expect(readAll(join(dir, 'folder'))).rejects.toBeInstanceOf(EventFileError);
  });

  it('caps stored warnings and counts the rest', async () => {
    const path = file('bad\n'.repeat(250));
    const warnings = new WarningList(10);
    await readEventFile(path, () => undefined, warnings);
    expect(warnings.total).toBe(250);
    expect(warnings.list()).toHaveLength(11);
    expect(warnings.list()[10]?.message).toBe('240 more warnings were not shown');
  });
});

describe('appendEvents', () => {
  it('appends whole lines, creating the file', async () => {
    const path = join(tempDir('ghml-append-'), 'events.jsonl');
    await appendEvents(path, [{ type: 'param', key: 'lr', value: '0.01' }]);
    await appendEvents(path, [
      { type: 'metric', key: 'acc', value: Number.NaN, step: 1, timestamp: 2 },
      { type: 'artifact', path: 'model.pkl' },
    ]);
    expect(readFileSync(path, 'utf8')).toBe(
      '{"type":"param","key":"lr","value":"0.01"}\n' +
        '{"type":"metric","key":"acc","value":"NaN","step":1,"timestamp":2}\n' +
        '{"type":"artifact","path":"model.pkl"}\n',
    );
  });

  it('writes nothing when any event is invalid', async () => {
    const path = join(tempDir('ghml-append-'), 'events.jsonl');
    writeFileSync(path, '{"type":"tag","key":"a","value":"1"}\n');
    await expect(
      appendEvents(path, [
        { type: 'tag', key: 'b', value: '2' },
        { type: 'metric', key: 'bad//key', value: 1 },
      ]),
    ).rejects.toThrow("Invalid metric key 'bad//key'");
    await expect(
      appendEvents(path, [{ type: 'param', key: 'p', value: 'x'.repeat(6001) }]),
    ).rejects.toThrow('at most 6000');
    expect(readFileSync(path, 'utf8')).toBe('{"type":"tag","key":"a","value":"1"}\n');
  });

  it('never interleaves lines from concurrent appends', async () => {
    const path = join(tempDir('ghml-append-'), 'events.jsonl');
    const long = 'v'.repeat(5000);
    await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        appendEvents(path, [
          { type: 'tag', key: `t${i}`, value: long },
          { type: 'metric', key: `m${i}`, value: i, step: i, timestamp: i },
        ]),
      ),
    );
    const { events, warnings } = await readAll(path);
    expect(warnings).toEqual([]);
    expect(events).toHaveLength(400);
    expect(new Set(events.map((e) => (e.event as { key: string }).key)).size).toBe(400);
  });
});
