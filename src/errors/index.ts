export { ERROR_CATALOG, EXPLANATION_RANK, isErrorCode, mostTelling, type ErrorCode, type ErrorCategory, type ErrorCodeInfo } from "./catalog.js";
export { SignetError, toSignetError, type SignetErrorOptions } from "./signet-error.js";
