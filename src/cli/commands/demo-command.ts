/**
 * `ghml demo [dir]`: the five-minute tour on a laptop, with no GitHub and no network. Creates
 * a repository holding examples/iris, trains it on two commits with different params, lists
 * the runs and compares them; then runs examples/iris-pipeline in a second repository. Each
 * step prints the command a user would type.
 */
import type { Command } from 'commander';
import { createDemoRepository } from '../../demo/demo-repository.js';
import { GhmlError } from '../../errors/ghml-error.js';
import { resolveCommand } from '../../tracking/training-command.js';
import type { CommandContext } from '../program.js';

/** Runs one ghml command line in the demo repository, as the user would. */
export type DemoStep = (args: string[]) => Promise<{ exitCode: number; lastLine: string }>;

export function registerDemoCommand(
  program: Command,
  context: CommandContext,
  runStep?: (cwd: string) => DemoStep,
): void {
  program
    .command('demo')
    .description('train the iris example on two commits in a new local repository and compare them')
    .argument('[dir]', 'an empty folder for the demo repository (default: a new temp folder)')
    .action(async (dir: string | undefined) => {
      if (!resolveCommand('python3', context.cwd, context.env.PATH)) {
        throw new GhmlError('the demo needs python3 on PATH', {
          hint: 'install Python 3.8 or newer (the example uses only its standard library)',
        });
      }
      const { io } = context;
      const repo = await createDemoRepository(dir);
      const step = runStep ? runStep(repo.dir) : await defaultStep(repo.dir, context);
      const say = (text: string): void => io.err(`\n${text}`);
      const run = async (args: string[]): Promise<string> => {
        io.err(`$ ghml ${args.map(shellQuote).join(' ')}`);
        const { exitCode, lastLine } = await step(args);
        if (exitCode !== 0) {
          throw new GhmlError(`demo step 'ghml ${args.join(' ')}' exited with ${exitCode}`);
        }
        return lastLine;
      };

      say(`ghml demo: a local repository at ${repo.dir}`);
      await repo.commit('iris: random forest with 10 trees');
      say('1. Train on the first commit (10 trees). The run is committed to the ghml/runs branch.');
      await run(['run', '--', 'python3', 'train.py']);

      await repo.setParams({ n_estimators: '50' });
      await repo.commit('iris: 50 trees');
      say('2. Change a param in params.yaml, commit, and train again.');
      const runId = await run(['run', '--', 'python3', 'train.py']);

      say('3. List the runs (MLflow-style filter and order-by work too).');
      await run(['runs', 'list']);
      await run([
        'runs',
        'list',
        '--filter',
        'metrics.accuracy > 0.9',
        '--order-by',
        'metrics.log_loss ASC',
        '--json',
      ]);

      say('4. Compare HEAD with its nearest ancestor that has a run: what a PR comment shows.');
      await run(['compare']);
      await run(['compare', '--format', 'md']);

      say(
        '5. Register the model: an annotated tag iris@v0.0.1 on the commit it was trained from (GTO grammar).',
      );
      await run(['model', 'register', 'iris']);
      say(
        '6. Promote it to prod: the tag iris#prod#1. Tags are the registry: git log and permissions for free.',
      );
      await run(['model', 'promote', 'iris', 'latest', 'prod']);
      await run(['model', 'list']);
      await run(['runs', 'show', runId]);

      say(
        '7. Deploy what prod points at: --dry-run renders the Kubernetes manifests without a cluster.\n' +
          '   Without it, kubectl applies them, awaits the rollout and rolls back on failure.',
      );
      await run(['deploy', 'iris', '--stage', 'prod', '--dry-run']);

      // A second repository, so the tour's runs above stay as they are.
      const pipeline = await createDemoRepository(undefined, 'iris-pipeline');
      await pipeline.commit('iris as a pipeline: prepare -> train -> evaluate');
      const inPipeline = runStep ? runStep(pipeline.dir) : await defaultStep(pipeline.dir, context);
      const runPipeline = async (args: string[]): Promise<void> => {
        io.err(`$ ghml ${args.map(shellQuote).join(' ')}`);
        const { exitCode } = await inPipeline(args);
        if (exitCode !== 0)
          throw new GhmlError(`demo step 'ghml ${args.join(' ')}' exited with ${exitCode}`);
      };
      say(
        `8. Pipelines (DVC's stage format, in ${pipeline.dir}): run the stages in DAG order, each a run;
` + '   change a param and only the stages that use it run again.',
      );
      await runPipeline(['dag']);
      await runPipeline(['repro']);
      await pipeline.setParams({ n_estimators: '50' });
      await runPipeline(['status']);
      await runPipeline(['repro']);
      await runPipeline(['pipeline', 'compile', '--target', 'actions', '-o', 'pipeline.yml']);

      say(`Done. Explore: cd ${repo.dir} && ghml runs list   (or git log ghml/runs)`);
    });
}

/** Quotes an argument for display, the way a user would type it in a POSIX shell. */
function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Runs steps through a fresh ghml program in the demo folder, sharing this one's output. */
async function defaultStep(cwd: string, context: CommandContext): Promise<DemoStep> {
  const { buildProgram } = await import('../program.js');
  return async (args) => {
    let exitCode = 0;
    let lastLine = '';
    const io = {
      ...context.io,
      out(text: string) {
        lastLine = text.trimEnd().split('\n').pop() ?? '';
        context.io.out(text);
      },
    };
    const program = await buildProgram(
      { ...context, io, cwd, setExitCode: (code) => (exitCode = code) },
      'demo',
      ['node', 'ghml', ...args],
    );
    await program.parseAsync(['node', 'ghml', ...args]);
    return { exitCode, lastLine };
  };
}
