// The service's error enum as values: one class per code, each carrying its wire code and HTTP status.

/** The service's own error enum (what the real service could raise); the emulator's own codes follow below. */
export const SERVICE_ERROR_CODES = [
  'INVALID_JID',
  'NO_BODY',
  'INVALID_XML',
  'INVALID_TYPE',
  'INVALID_SHOW',
  'INVALID_STATUS',
  'EXCEEDED_MAX_SIZE',
  'OVER_QUOTA',
  'APPID_ALIAS_REQUIRED',
  'NONDEFAULT_MODULE',
  'UNSPECIFIED_ERROR',
] as const;

export const ERROR_CODES = [...SERVICE_ERROR_CODES, 'BAD_REQUEST', 'NOT_FOUND', 'FORBIDDEN', 'TIMEOUT', 'UNSUPPORTED_MEDIA_TYPE', 'ASSERTION_FAILED'] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** The body of every failed HTTP call, service API and control API alike. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string };
}

const HTTP_STATUS: Record<ErrorCode, number> = {
  INVALID_JID: 400,
  NO_BODY: 400,
  INVALID_XML: 400,
  INVALID_TYPE: 400,
  INVALID_SHOW: 400,
  INVALID_STATUS: 400,
  EXCEEDED_MAX_SIZE: 413,
  OVER_QUOTA: 429,
  APPID_ALIAS_REQUIRED: 400,
  NONDEFAULT_MODULE: 400,
  UNSPECIFIED_ERROR: 500,
  BAD_REQUEST: 400,
  NOT_FOUND: 404,
  FORBIDDEN: 403,
  TIMEOUT: 408,
  UNSUPPORTED_MEDIA_TYPE: 415,
  ASSERTION_FAILED: 409,
};

export class XmppError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.code = code;
    this.name = new.target.name;
  }
  get httpStatus(): number {
    return HTTP_STATUS[this.code];
  }
  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message } };
  }
}

export class InvalidJidError extends XmppError {
  constructor(message: string) {
    super('INVALID_JID', message);
  }
}
export class NoBodyError extends XmppError {
  constructor(message = 'body is empty') {
    super('NO_BODY', message);
  }
}
export class InvalidXmlError extends XmppError {
  constructor(message: string) {
    super('INVALID_XML', message);
  }
}
export class InvalidTypeError extends XmppError {
  constructor(message: string) {
    super('INVALID_TYPE', message);
  }
}
export class InvalidShowError extends XmppError {
  constructor(message: string) {
    super('INVALID_SHOW', message);
  }
}
export class InvalidStatusError extends XmppError {
  constructor(message: string) {
    super('INVALID_STATUS', message);
  }
}
export class ExceededMaxSizeError extends XmppError {
  constructor(message: string) {
    super('EXCEEDED_MAX_SIZE', message);
  }
}
export class OverQuotaError extends XmppError {
  constructor(message: string) {
    super('OVER_QUOTA', message);
  }
}
export class AppIdAliasRequiredError extends XmppError {
  constructor(message: string) {
    super('APPID_ALIAS_REQUIRED', message);
  }
}
export class NondefaultModuleError extends XmppError {
  constructor(message: string) {
    super('NONDEFAULT_MODULE', message);
  }
}
export class UnspecifiedError extends XmppError {
  constructor(message: string) {
    super('UNSPECIFIED_ERROR', message);
  }
}
export class BadRequestError extends XmppError {
  constructor(message: string) {
    super('BAD_REQUEST', message);
  }
}
export class NotFoundError extends XmppError {
  constructor(message: string) {
    super('NOT_FOUND', message);
  }
}
export class ForbiddenError extends XmppError {
  constructor(message: string) {
    super('FORBIDDEN', message);
  }
}

export class TimeoutError extends XmppError {
  constructor(message: string) {
    super('TIMEOUT', message);
  }
}
export class UnsupportedMediaTypeError extends XmppError {
  constructor(message: string) {
    super('UNSUPPORTED_MEDIA_TYPE', message);
  }
}

/** A server-side assertion failed: something arrived that a negative wait said must not. */
export class AssertionFailedError extends XmppError {
  constructor(message: string) {
    super('ASSERTION_FAILED', message);
  }
}

const CLASSES: Record<ErrorCode, new (message: string) => XmppError> = {
  INVALID_JID: InvalidJidError,
  NO_BODY: NoBodyError,
  INVALID_XML: InvalidXmlError,
  INVALID_TYPE: InvalidTypeError,
  INVALID_SHOW: InvalidShowError,
  INVALID_STATUS: InvalidStatusError,
  EXCEEDED_MAX_SIZE: ExceededMaxSizeError,
  OVER_QUOTA: OverQuotaError,
  APPID_ALIAS_REQUIRED: AppIdAliasRequiredError,
  NONDEFAULT_MODULE: NondefaultModuleError,
  UNSPECIFIED_ERROR: UnspecifiedError,
  BAD_REQUEST: BadRequestError,
  NOT_FOUND: NotFoundError,
  FORBIDDEN: ForbiddenError,
  TIMEOUT: TimeoutError,
  UNSUPPORTED_MEDIA_TYPE: UnsupportedMediaTypeError,
  ASSERTION_FAILED: AssertionFailedError,
};

/** Rebuild the typed error from a wire error body (the SDK uses this on a 4xx answer). */
export function errorFromBody(body: unknown, fallbackStatus: number): XmppError {
  const err = (body as Partial<ErrorBody> | null)?.error;
  if (err && typeof err.code === 'string' && (ERROR_CODES as readonly string[]).includes(err.code)) {
    return new CLASSES[err.code](String(err.message ?? err.code));
  }
  return new UnspecifiedError(`the emulator answered HTTP ${fallbackStatus} without an error body`);
}

/** The caller's own mistake (bad input, a broken file, an unknown name): a 4xx other than a time-out or a quota. */
export function isUserMistake(e: unknown): e is XmppError {
  return e instanceof XmppError && e.httpStatus >= 400 && e.httpStatus < 500 && e.code !== 'TIMEOUT' && e.code !== 'OVER_QUOTA';
}
