export {
  assertBigIntInRange,
  assertBytes,
  assertInteger,
  assertNonEmptyString,
  assertOneOf,
  assertString,
  type DescribeOptions,
  describeValue,
  invalidInput,
} from './assert.js';
export { bytesToHex, bytesToUtf8, concatBytes, equalBytes, type Hex, hexToBytes, isHex, utf8ToBytes } from './bytes.js';
export { Decimal, MAX_DECIMAL_SCALE } from './decimal.js';
export {
  BaseError,
  type BaseErrorParameters,
  type ErrorCode,
  ErrorCodes,
  type ErrorDetails,
  findBaseError,
  isErrorCode,
} from './errors.js';
export { type LogFn, type Logger, silentLogger } from './logger.js';
