/** The action's one reader of inputs and environment. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  InvalidInputError,
  MissingInputError,
  UnknownCommandError,
  UnsupportedEventError,
} from '../../../src/action/action-errors.js';
import {
  readActionSettings,
  readInput,
  readPostState,
  SUPPORTED_EVENTS,
} from '../../../src/action/inputs.js';

const WORKSPACE = '/home/runner/work/iris/iris';

function env(
  inputs: Record<string, string>,
  extra: Record<string, string> = {},
): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {
    GITHUB_WORKSPACE: WORKSPACE,
    GITHUB_EVENT_NAME: 'push',
    ...extra,
  };
  for (const [name, value] of Object.entries(inputs)) out[`INPUT_${name.toUpperCase()}`] = value;
  return out;
}

function eventFile(payload: object): string {
  const file = join(mkdtempSync(join(tmpdir(), 'ghml-event-')), 'event.json');
  writeFileSync(file, JSON.stringify(payload));
  return file;
}

describe('readInput', () => {
  it('reads INPUT_<NAME> with hyphens kept and spaces as underscores, trimmed', () => {
    expect(readInput({ 'INPUT_FAIL-ON-REGRESSION': ' true ' }, 'fail-on-regression')).toBe('true');
    expect(readInput({ INPUT_MY_INPUT: 'x' }, 'my input')).toBe('x');
    expect(readInput({}, 'absent')).toBe('');
  });
});

describe('readActionSettings', () => {
  it('reads run settings with their defaults', () => {
    const settings = readActionSettings(
      env(
        {
          command: 'run',
          train: 'python train.py\n',
          params: 'lr = 0.1\n# note\n\nlayers=3',
          matrix: '{\n  "seed": 1\n}',
          'record-dir': 'out',
        },
        { RUNNER_TEMP: '/tmp/r' },
      ),
      '/elsewhere',
    );
    expect(settings).toMatchObject({
      command: 'run',
      train: 'python train.py',
      params: { lr: '0.1', layers: '3' },
      push: true,
      stdoutMetrics: undefined,
      matrix: '{\n  "seed": 1\n}',
      workingDirectory: WORKSPACE,
      recordDir: `${WORKSPACE}/out`,
      tempDir: '/tmp/r',
    });
  });

  it('reads compare settings, booleans in YAML 1.2 spelling', () => {
    const settings = readActionSettings(
      env({
        command: 'compare',
        'fail-on-regression': 'True',
        comment: 'FALSE',
        experiments: 'iris, mnist\nbert',
        'working-directory': 'ml',
      }),
      '/',
    );
    expect(settings).toMatchObject({
      command: 'compare',
      failOnRegression: true,
      comment: false,
      experiments: ['iris', 'mnist', 'bert'],
      workingDirectory: `${WORKSPACE}/ml`,
    });
  });

  it('checks namespace and kube-context as ghml.yml does', () => {
    const deploy = { command: 'deploy', model: 'iris', stage: 'prod' };
    expect(() => readActionSettings(env({ ...deploy, namespace: 'Prod' }), '/')).toThrow(
      "Invalid input namespace 'Prod': not a Kubernetes namespace.",
    );
    expect(() => readActionSettings(env({ ...deploy, 'kube-context': '-x' }), '/')).toThrow(
      "Invalid input kube-context '-x': it starts with '-'.",
    );
    expect(readActionSettings(env({ ...deploy, namespace: 'ml' }), '/')).toMatchObject({
      namespace: 'ml',
    });
  });

  it('reads and checks comment-author', () => {
    const settings = readActionSettings(
      env({ command: 'compare', 'comment-author': 'ml-app[bot]' }),
      '/',
    );
    expect(settings).toMatchObject({ command: 'compare', commentAuthor: 'ml-app[bot]' });
    expect(readActionSettings(env({ command: 'compare' }), '/')).toMatchObject({
      commentAuthor: undefined,
    });
    expect(() =>
      readActionSettings(env({ command: 'compare', 'comment-author': 'a b' }), '/'),
    ).toThrow("Invalid comment-author 'a b': not a GitHub login.");
  });

  it('takes model and version from a whole registration tag', () => {
    const settings = readActionSettings(
      env({ command: 'register', version: 'team/churn@v1.2.0' }, { GITHUB_EVENT_NAME: 'release' }),
      '/',
    );
    expect(settings).toMatchObject({ model: 'team/churn', version: 'v1.2.0' });
  });

  it.each([
    [{ command: '' }, MissingInputError, "Input 'command' is required"],
    [{ command: 'train' }, UnknownCommandError, "Unknown command 'train'"],
    [{ command: 'run' }, MissingInputError, "Input 'train' is required for command 'run'"],
    [
      { command: 'promote', model: 'iris', version: 'v1.0.0' },
      MissingInputError,
      "Input 'stage' is required for command 'promote'",
    ],
    [
      { command: 'run', train: 'x', push: 'yes' },
      InvalidInputError,
      "Invalid value 'yes' for input 'push': expected true or false",
    ],
    [{ command: 'run', train: 'x', params: 'no-equals' }, InvalidInputError, "input 'params'"],
    [{ command: 'run', train: 'x', matrix: '[1]' }, InvalidInputError, "input 'matrix'"],
    [
      { command: 'register', model: 'a', version: 'b@v1.0.0' },
      InvalidInputError,
      "a version of model 'a'",
    ],
    [{ command: 'register', model: 'a', bump: 'huge' }, InvalidInputError, 'major, minor or patch'],
    [
      { command: 'deploy', model: 'a', stage: 'prod', timeout: '-1' },
      InvalidInputError,
      "input 'timeout'",
    ],
  ])('rejects %o', (inputs, type, message) => {
    expect(() =>
      readActionSettings(env(inputs, { GITHUB_EVENT_NAME: 'workflow_dispatch' }), '/'),
    ).toThrow(type);
    expect(() =>
      readActionSettings(env(inputs, { GITHUB_EVENT_NAME: 'workflow_dispatch' }), '/'),
    ).toThrow(message);
  });

  it('lists the supported events when the event is of the wrong type', () => {
    const error = (() => {
      try {
        readActionSettings(
          env(
            { command: 'promote', model: 'a', version: 'v1.0.0', stage: 'prod' },
            { GITHUB_EVENT_NAME: 'pull_request' },
          ),
          '/',
        );
      } catch (e) {
        return e as UnsupportedEventError;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(UnsupportedEventError);
    expect(error?.message).toBe("Command 'promote' does not run on 'pull_request' events.");
    expect(error?.hint).toBe(
      `trigger the workflow on one of: ${SUPPORTED_EVENTS.promote.join(', ')}`,
    );
  });

  it.each(['pull_request_target', 'workflow_run'])(
    'refuses to train on %s, saying why',
    (event) => {
      expect(() =>
        readActionSettings(env({ command: 'run', train: 'x' }, { GITHUB_EVENT_NAME: event }), '/'),
      ).toThrow(/write token/);
    },
  );

  it('ties run-artifact to workflow_run both ways', () => {
    expect(() =>
      readActionSettings(
        env({ command: 'compare', 'run-artifact': 'a' }, { GITHUB_EVENT_NAME: 'pull_request' }),
        '/',
      ),
    ).toThrow("'run-artifact' is only read on workflow_run events");
    expect(() =>
      readActionSettings(env({ command: 'compare' }, { GITHUB_EVENT_NAME: 'workflow_run' }), '/'),
    ).toThrow("set 'run-artifact'");
    const settings = readActionSettings(
      env({ command: 'compare', 'run-artifact': '/tmp/a' }, { GITHUB_EVENT_NAME: 'workflow_run' }),
      '/',
    );
    expect(settings).toMatchObject({ runArtifact: '/tmp/a' });
  });

  it('skips the event check outside Actions and reads the payload file', () => {
    const path = eventFile({ pull_request: { number: 3 } });
    const settings = readActionSettings(
      { INPUT_COMMAND: 'compare', GITHUB_EVENT_PATH: path },
      '/work',
    );
    expect(settings.event).toEqual({ name: '', payload: { pull_request: { number: 3 } } });
    expect(settings.workingDirectory).toBe('/work');
  });
});

describe('readPostState', () => {
  it('reads what the main step saved', () => {
    expect(
      readPostState({
        STATE_isPost: 'true',
        STATE_command: 'run',
        STATE_phase: 'training',
        'STATE_working-directory': '/w',
        STATE_since: '1700000000000',
        STATE_push: 'false',
      }),
    ).toEqual({
      isPost: true,
      command: 'run',
      phase: 'training',
      workingDirectory: '/w',
      since: 1700000000000,
      push: false,
    });
    expect(readPostState({}).isPost).toBe(false);
  });
});
