/**
 * Loading pipelines from real files in temp folders: DVC's stage schema from ghml.yml or
 * dvc.yaml, `${}` from vars and params.yaml (tracked as params), foreach/matrix expansion,
 * and every bad definition the issue names refused with file:line and a fix.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  NoPipelineError,
  PipelineDefinitionError,
  UnknownStageError,
} from '../../../src/pipeline/definition/definition-errors.js';
import { loadPipeline, selectStages } from '../../../src/pipeline/definition/load-pipeline.js';
import { cleanupTempDirs, tempDir } from '../../support/temp-repo.js';

afterAll(() => cleanupTempDirs());

function project(files: Record<string, string>): string {
  const dir = tempDir('ghml-pipeline-');
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

function problems(files: Record<string, string>): string[] {
  try {
    loadPipeline(project(files));
  } catch (error) {
    if (error instanceof PipelineDefinitionError)
      return error.problems.map((p) => `${p.file}:${p.line}: ${p.message} | ${p.fix}`);
    throw error;
  }
  throw new Error('the definition loaded');
}

describe('loading', () => {
  it('reads ghml.yml stages with DVC keys, paths relative to wdir', () => {
    const { definition, graph } = loadPipeline(
      project({
        'ghml.yml': [
          'pipeline:',
          '  name: iris-pipeline',
          '  image: ghcr.io/acme/train:1',
          'stages:',
          '  prepare:',
          '    cmd: python prepare.py',
          '    wdir: src',
          '    deps: [../data/iris.csv, prepare.py]',
          '    outs:',
          '      - ../data/prepared',
          '      - cachefree.txt: {cache: false, persist: true}',
          '  train:',
          '    cmd: [python train.py, echo done]',
          '    deps: [data/prepared]',
          '    params: [train.lr, {other.yaml: [seed]}]',
          '    metrics: [{metrics.json: {cache: false}}]',
          '    plots: [{roc.json: {x: fpr, y: tpr}}]',
          '    frozen: false',
          '    always_changed: true',
          '    experiment: iris',
          '',
        ].join('\n'),
      }),
    );
    expect(definition.name).toBe('iris-pipeline');
    expect(definition.image).toBe('ghcr.io/acme/train:1');
    expect(definition.file).toBe('ghml.yml');
    const [prepare, train] = graph.order;
    expect(prepare?.deps.map((d) => d.path)).toEqual(['data/iris.csv', 'src/prepare.py']);
    expect(prepare?.outs.map((o) => [o.path, o.cache, o.persist])).toEqual([
      ['data/prepared', true, false],
      ['src/cachefree.txt', false, true],
    ]);
    expect(train?.cmd).toEqual(['python train.py', 'echo done']);
    expect(train?.params.map((p) => [p.file, p.keys])).toEqual([
      ['params.yaml', ['train.lr']],
      ['other.yaml', ['seed']],
    ]);
    expect(train?.outs.map((o) => [o.path, o.kind])).toEqual([
      ['metrics.json', 'metric'],
      ['roc.json', 'plot'],
    ]);
    expect(train?.alwaysChanged).toBe(true);
    expect(train?.experiment).toBe('iris');
    expect(graph.upstreamOf('train')).toEqual(['prepare']);
  });

  it('falls back to dvc.yaml when ghml.yml has no stages, with vars and params.yaml', () => {
    const { definition, graph } = loadPipeline(
      project({
        'ghml.yml': 'default_experiment: iris\n',
        'params.yaml': 'train:\n  lr: 0.01\n  depth: 3\n',
        'dvc.yaml': [
          'vars:',
          '  - name: world',
          '  - config.yaml:data',
          'stages:',
          '  hello:',
          '    cmd: echo ${name} ${train.lr} ${data.path}',
          "    outs: ['${data.path}']",
          '',
        ].join('\n'),
        'config.yaml': 'data:\n  path: out.txt\nunused: 1\n',
      }),
    );
    expect(definition.file).toBe('dvc.yaml');
    const hello = graph.stage('hello');
    expect(hello?.cmd).toEqual(['echo world 0.01 out.txt']);
    expect(hello?.outs.map((o) => o.path)).toEqual(['out.txt']);
    // Values read from params files are params of the stage, as DVC tracks them.
    expect(hello?.params.map((p) => [p.file, p.keys])).toEqual([
      ['params.yaml', ['train.lr']],
      ['config.yaml', ['data.path']],
    ]);
  });

  it('expands foreach over lists and maps, and matrix products, with DVC names', () => {
    const { graph } = loadPipeline(
      project({
        'dvc.yaml': [
          'vars:',
          '  - models: [rf, knn]',
          'stages:',
          '  train:',
          '    foreach: ${models}',
          '    do:',
          '      cmd: python train.py ${item}',
          '      outs:',
          '        - models/${item}.pkl',
          '  eval:',
          '    foreach:',
          '      small: {n: 1}',
          '      big: {n: 9}',
          '    do:',
          '      cmd: echo ${key} ${item.n}',
          '  sweep:',
          '    matrix:',
          '      lr: [0.1, 0.01]',
          '      opt: [{name: sgd}, {name: adam}]',
          '    cmd: echo ${item.lr} ${item.opt.name} ${key}',
          '',
        ].join('\n'),
      }),
    );
    expect(graph.order.map((s) => s.name)).toEqual([
      'train@rf',
      'train@knn',
      'eval@small',
      'eval@big',
      'sweep@0.1-opt0',
      'sweep@0.1-opt1',
      'sweep@0.01-opt0',
      'sweep@0.01-opt1',
    ]);
    expect(graph.stage('train@knn')?.outs[0]?.path).toBe('models/knn.pkl');
    expect(graph.stage('eval@big')?.cmd).toEqual(['echo big 9']);
    expect(graph.stage('sweep@0.01-opt1')?.cmd).toEqual(['echo 0.01 adam 0.01-opt1']);
    expect(graph.stage('sweep@0.01-opt1')?.matrix).toEqual({ lr: '0.01', opt: '{"name":"adam"}' });
    expect(selectStages(graph, ['train'])).toEqual(['train@rf', 'train@knn']);
    expect(() => selectStages(graph, ['trian'])).toThrow(UnknownStageError);
  });

  it('says where to put a pipeline when there is none', () => {
    expect(() => loadPipeline(project({ 'ghml.yml': 'default_experiment: x\n' }))).toThrow(
      NoPipelineError,
    );
  });
});

describe('bad definitions', () => {
  it('names the stages of a cycle, at the line of a stage in it', () => {
    const found = problems({
      'ghml.yml': [
        'stages:',
        '  a:',
        '    cmd: cp c.txt a.txt',
        '    deps: [c.txt]',
        '    outs: [a.txt]',
        '  b:',
        '    cmd: cp a.txt b.txt',
        '    deps: [a.txt]',
        '    outs: [b.txt]',
        '  c:',
        '    cmd: cp b.txt c.txt',
        '    deps: [b.txt]',
        '    outs: [c.txt]',
        '',
      ].join('\n'),
    });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^ghml\.yml:2: the stages form a cycle: a -> b -> c -> a \|/);
  });

  it('refuses two stages writing one output, pointing at the second', () => {
    const found = problems({
      'dvc.yaml': [
        'stages:',
        '  a:',
        '    cmd: echo 1 > out.txt',
        '    outs: [out.txt]',
        '  b:',
        '    cmd: echo 2 > out.txt',
        '    outs: [out.txt]',
        '',
      ].join('\n'),
    });
    expect(found).toEqual([
      "dvc.yaml:7: stages 'a' and 'b' both write the output 'out.txt' (also at line 4) | give each output one writer: rename one of them or merge the stages",
    ]);
  });

  it('refuses an output inside another stage output', () => {
    const found = problems({
      'dvc.yaml': [
        'stages:',
        '  a:',
        '    cmd: mkdir -p data',
        '    outs: [data]',
        '  b:',
        '    cmd: echo 2 > data/b.txt',
        '    outs:',
        '      - data/b.txt',
        '',
      ].join('\n'),
    });
    expect(found[0]).toMatch(
      /^dvc\.yaml:8: the output 'data\/b\.txt' of stage 'b' is inside the output 'data' of stage 'a'/,
    );
  });

  it('refuses an unknown key with "did you mean"', () => {
    const found = problems({
      'ghml.yml': 'stages:\n  a:\n    cmd: echo\n    outz: [x]\n',
    });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(
      /^ghml\.yml:4: stages\.a\.outz is not a known setting \| did you mean 'outs'\?/,
    );
  });

  it('refuses a ${} that does not resolve, at its line, once for a foreach template', () => {
    const found = problems({
      'dvc.yaml': [
        'stages:',
        '  a:',
        '    foreach: [x, y]',
        '    do:',
        '      cmd: echo ${item} ${nope.deeper}',
        '',
      ].join('\n'),
    });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(
      /^dvc\.yaml:5: stages\.a\.do\.cmd has a \$\{\} that does not resolve: 'nope' is not defined/,
    );
  });

  it('refuses a cmd missing, a path leaving the project, and bad YAML, all at once or alone', () => {
    expect(
      problems({
        'dvc.yaml': 'stages:\n  a:\n    deps: [../../etc/passwd]\n    outs: [/tmp/x]\n',
      }),
    ).toEqual([
      'dvc.yaml:3: stages.a.cmd is required: the command the stage runs | add cmd: under a, e.g. cmd: python train.py',
      "dvc.yaml:3: stages.a.deps[0] must name a file or folder inside the project, got '../../etc/passwd' | write a path relative to the stage (its wdir), inside the project folder",
      "dvc.yaml:4: stages.a.outs[0] must be a path inside the project, got '/tmp/x': it is absolute | write a path relative to the stage (its wdir), inside the project folder",
    ]);
    expect(problems({ 'dvc.yaml': 'stages:\n  a: [\n' })[0]).toMatch(
      /^dvc\.yaml:3: dvc\.yaml is not valid YAML/,
    );
  });

  it('refuses a stage depending on its own output', () => {
    const found = problems({
      'dvc.yaml': 'stages:\n  a:\n    cmd: echo\n    deps: [x.txt]\n    outs: [x.txt]\n',
    });
    expect(found[0]).toMatch(/stage 'a' depends on its own output/);
  });
});
