export { ERROR_CATALOG, EXIT_CODES, EXPLANATION_RANK, isErrorCode, mostTelling, type ErrorCode, type ErrorCategory, type ErrorCodeInfo } from "./catalog.js";
export { SignetError, toSignetError, type SignetErrorOptions } from "./signet-error.js";
