/**
 * `ghml server`: a long-lived MLflow tracking endpoint over this repository (src/mlflow), for
 * notebooks, scripts run without `ghml run` and MLflow's other-language clients. Runs until
 * SIGINT/SIGTERM, then records the runs still open as KILLED and pushes what is left.
 *
 * Tokens: on loopback none is needed (pass one to require it anyway). Anywhere else a token is
 * required: --token / GHML_SERVER_TOKEN, or else one is generated and written to a file only
 * its owner can read, whose path (never the token) is printed.
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../errors/ghml-error.js';
import { generateToken } from '../../mlflow/http/bearer-token.js';
import { isLoopback, startTrackingServer } from '../../mlflow/tracking-server.js';
import { openRepository } from '../open-repository.js';
import type { CommandContext } from '../program.js';

interface ServerOptions {
  port: string;
  host: string;
  token?: string;
  tokenFile?: string;
  push: boolean;
  maxUploadMb: string;
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`invalid port '${text}'`, {
      hint: 'pass --port with a number from 0 to 65535',
    });
  }
  return port;
}

async function writeTokenFile(file: string, token: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, `${token}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
}

export function registerServerCommand(program: Command, context: CommandContext): void {
  program
    .command('server')
    .description(
      'serve the MLflow tracking REST API over this repository (runs go to the tracking branch)',
    )
    .option('--port <port>', 'port to listen on', '5000')
    .option(
      '--host <host>',
      'address to listen on; anything but loopback requires a token',
      '127.0.0.1',
    )
    .option('--token <token>', 'require this bearer token (default: GHML_SERVER_TOKEN)')
    .option(
      '--token-file <path>',
      'where a generated token is written (default: <git dir>/ghml/mlflow/server-token)',
    )
    .option('--no-push', 'record runs on the local branch only (push later with `ghml push`)')
    .option('--max-upload-mb <mb>', 'largest artifact upload accepted', '5120')
    .action(async (options: ServerOptions) => {
      const repo = await openRepository(context.cwd);
      const port = parsePort(options.port);
      const maxUploadMb = Number(options.maxUploadMb);
      if (!Number.isFinite(maxUploadMb) || maxUploadMb <= 0) {
        throw new UsageError(`invalid --max-upload-mb '${options.maxUploadMb}'`, {
          hint: 'pass a positive number of megabytes',
        });
      }
      let token = options.token ?? context.env.GHML_SERVER_TOKEN;
      if (token !== undefined && token.length < 16) {
        throw new UsageError('the server token is shorter than 16 characters', {
          hint: 'use a longer secret, or leave --token out to have one generated',
        });
      }
      if ((token === undefined || token === '') && !isLoopback(options.host)) {
        token = generateToken();
        const file =
          options.tokenFile ?? join(await repo.git.gitDir(), 'ghml', 'mlflow', 'server-token');
        await writeTokenFile(file, token);
        context.io.err(
          `ghml: ${options.host} is reachable by others, so requests need a token; a new one is in ${file} (readable by you only).\n` +
            `  clients: export MLFLOW_TRACKING_TOKEN="$(cat ${file})"`,
        );
      }
      const server = await startTrackingServer({
        git: repo.git,
        config: repo.config,
        cwd: context.cwd,
        env: context.env,
        host: options.host,
        port,
        ...(token === undefined || token === '' ? {} : { token }),
        push: options.push,
        maxUploadBytes: Math.round(maxUploadMb * 1024 * 1024),
        log: (message) => context.io.err(message),
      });
      context.io.out(
        `ghml: MLflow tracking endpoint on ${server.url} (runs go to ${repo.config.tracking.branch})`,
      );
      context.io.out(`  export MLFLOW_TRACKING_URI=${server.url}`);
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      context.io.err('ghml: stopping: recording open runs as KILLED and pushing');
      await server.close();
    });
}
