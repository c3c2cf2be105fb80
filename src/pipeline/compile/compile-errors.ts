/** Errors of compiling a pipeline to another engine. */
import { UsageError } from '../../errors/ghml-error.js';

export class CompileError extends UsageError {
  constructor(message: string, hint: string) {
    super(message, { hint });
    this.name = 'CompileError';
  }
}
