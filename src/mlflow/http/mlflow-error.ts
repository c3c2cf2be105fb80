/**
 * The errors the endpoint answers with, in MLflow's wire shape: an HTTP status plus
 * `{"error_code": "...", "message": "..."}`. Every route throws these (or a GhmlError, which the
 * server maps to INVALID_PARAMETER_VALUE / RESOURCE_DOES_NOT_EXIST); nothing else reaches a
 * client except INTERNAL_ERROR.
 */
import { GhmlError } from '../../errors/ghml-error.js';

/** MLflow's error codes that ghml answers with. */
export type MlflowErrorCode =
  | 'INVALID_PARAMETER_VALUE'
  | 'RESOURCE_DOES_NOT_EXIST'
  | 'RESOURCE_ALREADY_EXISTS'
  | 'ENDPOINT_NOT_FOUND'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'INVALID_STATE'
  | 'NOT_IMPLEMENTED'
  | 'INTERNAL_ERROR'
  | 'TEMPORARILY_UNAVAILABLE';

const STATUS: Readonly<Record<MlflowErrorCode, number>> = {
  INVALID_PARAMETER_VALUE: 400,
  RESOURCE_DOES_NOT_EXIST: 404,
  RESOURCE_ALREADY_EXISTS: 400,
  ENDPOINT_NOT_FOUND: 404,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  INVALID_STATE: 400,
  NOT_IMPLEMENTED: 501,
  INTERNAL_ERROR: 500,
  TEMPORARILY_UNAVAILABLE: 503,
};

/** An error answered to the client as MLflow's error JSON. */
export class MlflowApiError extends GhmlError {
  readonly code: MlflowErrorCode;
  readonly status: number;

  constructor(code: MlflowErrorCode, message: string, options: { hint?: string } = {}) {
    super(message, options.hint === undefined ? {} : { hint: options.hint });
    this.name = 'MlflowApiError';
    this.code = code;
    this.status = STATUS[code];
  }

  /** The JSON body: MLflow's fields, with ghml's hint appended to the message when present. */
  body(): { error_code: string; message: string } {
    const message = this.hint === undefined ? this.message : `${this.message} (${this.hint})`;
    return { error_code: this.code, message };
  }
}

export function invalidParameter(message: string, hint?: string): MlflowApiError {
  return new MlflowApiError('INVALID_PARAMETER_VALUE', message, hint === undefined ? {} : { hint });
}

export function notFound(message: string, hint?: string): MlflowApiError {
  return new MlflowApiError('RESOURCE_DOES_NOT_EXIST', message, hint === undefined ? {} : { hint });
}
