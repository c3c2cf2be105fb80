import { describe, expect, it } from 'vitest';
import {
  LineSplitter,
  lineStep,
  parseMetricPairs,
  StdoutMetricsParser,
  type MetricSink,
} from '../../../src/tracking/ingest/stdout-metrics.js';
import { RunBuilder } from '../../../src/tracking/ingest/run-builder.js';

class Recorder implements MetricSink {
  points: Array<[string, number, number | undefined, number | undefined]> = [];
  addMetric(key: string, value: number, step?: number, timestamp?: number): void {
    if (key.startsWith('reject')) throw new Error('rejected');
    this.points.push([key, value, step, timestamp]);
  }
}

describe('parseMetricPairs', () => {
  it.each([
    [
      'epoch 3: loss=0.21 accuracy=0.93',
      [
        ['loss', 0.21],
        ['accuracy', 0.93],
      ],
    ],
    [
      'loss = 1e-3, val/acc=0.5; lr=3.',
      [
        ['loss', 0.001],
        ['val/acc', 0.5],
        ['lr', 3],
      ],
    ],
    [
      '(f1=0.7) [x=-2]',
      [
        ['f1', 0.7],
        ['x', -2],
      ],
    ],
    [
      'loss=nan acc=inf neg=-inf',
      [
        ['loss', Number.NaN],
        ['acc', Number.POSITIVE_INFINITY],
        ['neg', Number.NEGATIVE_INFINITY],
      ],
    ],
    ['name=resnet time=12s pct=93% ok=1', [['ok', 1]]],
    ['no pairs here', []],
    ['a==1 b=2=3 c=4', [['c', 4]]],
    ['2=3 _x=0.5', [['_x', 0.5]]],
  ])('%j', (line, expected) => {
    expect(parseMetricPairs(line).map((p) => [p.key, p.value])).toEqual(expected);
  });

  it('marks values written as whole numbers', () => {
    expect(parseMetricPairs('rc=2 loss=2.0 lr=1e-3 n=-64 x=+7').map((p) => p.whole)).toEqual([
      true,
      false,
      false,
      true,
      true,
    ]);
  });
});

describe('lineStep', () => {
  it.each<[string, number | undefined]>([
    ['epoch 3: loss=0.21 accuracy=0.93', 3],
    ['Epoch 3/10 loss=0.2', 3],
    ['[step 5] acc=0.9', 5],
    ['(iter 12) acc=0.9', 12],
    ['  STEP 7, acc=0.9', 7],
    ['epoch 3 loss=0.2', 3],
    ['step=20 epoch=2 loss=0.2', 20],
    ['epoch=4 loss=0.2', 4],
    ['epochs 3: loss=0.2', undefined],
    ['epoch 3a loss=0.2', undefined],
    ['loss=0.2 epoch 3', undefined],
    ['step=1.5 loss=0.1', undefined],
  ])('%j', (line, step) => {
    expect(lineStep(line, parseMetricPairs(line))?.step).toBe(step);
  });
});

describe('StdoutMetricsParser', () => {
  it('uses per-key occurrence indices as steps, or step=/epoch= from the line', () => {
    const sink = new Recorder();
    let now = 100;
    const parser = new StdoutMetricsParser(sink, { now: () => now++ });
    parser.write('loss=0.5\nloss=0.4 acc=0.1\n');
    parser.write('epoch=7 loss=0.3\n');
    parser.write('step=20 epoch=2 loss=0.2\n');
    parser.write('step=1.5 loss=0.1\n');
    parser.write('epoch 9: loss=0.05 acc=0.97\n');
    parser.end();
    expect(sink.points).toEqual([
      ['loss', 0.5, 0, 100],
      ['loss', 0.4, 1, 101],
      ['acc', 0.1, 0, 101],
      ['loss', 0.3, 7, 102],
      ['loss', 0.2, 20, 103],
      ['step', 1.5, 0, 104],
      ['loss', 0.1, 4, 104],
      ['loss', 0.05, 9, 105],
      ['acc', 0.97, 9, 105],
    ]);
    expect(parser.points).toBe(9);
  });

  it('records the README example at its epoch and ignores shell noise such as rc=2', () => {
    const sink = new Recorder();
    const parser = new StdoutMetricsParser(sink, { now: () => 1 });
    parser.write('epoch 3: loss=0.21 accuracy=0.93\n');
    parser.write('rc=2\n+ status=0\npid=4242 exit=1\n');
    parser.end();
    expect(sink.points).toEqual([
      ['loss', 0.21, 3, 1],
      ['accuracy', 0.93, 3, 1],
    ]);
  });

  it('takes whole numbers for the metrics the experiment declares', () => {
    const sink = new Recorder();
    const parser = new StdoutMetricsParser(sink, {
      now: () => 1,
      integerKeys: new Set(['correct']),
    });
    parser.write('step=2 correct=57 total=60 acc=0.95\n');
    parser.end();
    expect(sink.points).toEqual([
      ['correct', 57, 2, 1],
      ['acc', 0.95, 2, 1],
    ]);
  });

  it('counts points the sink rejects instead of throwing', () => {
    const sink = new Recorder();
    const parser = new StdoutMetricsParser(sink);
    parser.write('reject_me=1.0 keep=2.0\n');
    expect(parser.rejected).toBe(1);
    expect(sink.points.map((p) => p[0])).toEqual(['keep']);
  });

  it('feeds a RunBuilder, NaN kept', () => {
    const builder = new RunBuilder({ now: () => 1 });
    const parser = new StdoutMetricsParser(builder, { now: () => 1 });
    parser.write('loss=nan\nloss=0.5\n');
    parser.end();
    const { metrics } = builder.build({
      id: '01J',
      experiment: 'e',
      status: 'FINISHED',
      startTime: 0,
      endTime: 1,
      exitCode: 0,
      source: { commit: 'c', branch: null, dirty: false },
      github: null,
    }).record;
    expect(metrics.loss).toMatchObject({ value: 0.5, min: 0.5, max: 0.5, count: 2 });
  });
});

describe('LineSplitter', () => {
  it('joins lines split across chunks, including mid-character', () => {
    const splitter = new LineSplitter();
    const bytes = Buffer.from('héllo=1\r\nwörld=2\nlast');
    const out: string[] = [];
    for (let i = 0; i < bytes.length; i++) out.push(...splitter.push(bytes.subarray(i, i + 1)));
    out.push(...splitter.end());
    expect(out).toEqual(['héllo=1', 'wörld=2', 'last']);
  });

  it('caps very long lines and resumes at the next newline', () => {
    const splitter = new LineSplitter(10);
    const out = [
      ...splitter.push('a=1 '.repeat(5)),
      ...splitter.push('x'.repeat(1000)),
      ...splitter.push('\nb=2\n'),
      ...splitter.end(),
    ];
    expect(out).toEqual(['a=1 a=1 a=', 'b=2']);
  });
});
