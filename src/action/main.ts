/** Entry point of the GitHub Action. The only place that calls core.setFailed. */
import * as core from '@actions/core';
import { describeError } from '../errors/ghml-error.js';

async function main(): Promise<void> {
  throw new Error('the ghml action is not wired yet');
}

try {
  await main();
} catch (error) {
  core.setFailed(describeError(error));
}
