/**
 * One entry point for every request a wallet is asked to sign: the JSON-RPC method and params
 * exactly as the dapp sent them, dispatched to the transaction, user-operation, typed-data and
 * message decoders. Params must be the JSON-RPC positional array; anything else is a typed
 * RISK_INVALID_REQUEST, and a method the engine does not scan is RISK_UNSUPPORTED_METHOD.
 */
import { BaseError } from '@custos/core';
import { normalizeChainIdInput } from '../normalize.js';
import type { Decoded } from '../types.js';
import { SCAN_METHODS, type ScanMethod, type ScanRequest } from '../types.js';
import { decodeMessageRequest } from './message.js';
import {
  decodeRawTransaction,
  decodeTransaction,
  decodeUserOperation,
  normalizeTransactionRequestWithAuthorities,
} from './transaction.js';
import { decodeTypedDataRequest } from './typed-data.js';

export function isScanMethod(method: unknown): method is ScanMethod {
  return typeof method === 'string' && (SCAN_METHODS as readonly string[]).includes(method);
}

function positional(params: unknown, method: string, min: number): unknown[] {
  if (!Array.isArray(params) || params.length < min) {
    throw new BaseError('RISK_INVALID_REQUEST', `"params" of ${method} must be an array of at least ${min} item(s)`, {
      details: { field: 'params', method },
    });
  }
  return params;
}

/** Decodes a scan request; `chainId` is the wallet's chain, normalised (a hex-padded id is fine). */
export async function decodeRequest(request: ScanRequest): Promise<{ chainId: number; decoded: Decoded }> {
  if (request === null || typeof request !== 'object') {
    throw new BaseError('RISK_INVALID_REQUEST', 'a scan request is an object {chainId, method, params}', {
      details: { field: 'request' },
    });
  }
  const chainId = normalizeChainIdInput(request.chainId, 'chainId');
  const { method } = request;
  if (!isScanMethod(method)) {
    throw new BaseError(
      'RISK_UNSUPPORTED_METHOD',
      `"method" ${JSON.stringify(String(method)).slice(0, 60)} is not scanned`,
      {
        details: { field: 'method' },
        hints: [`Scanned methods: ${SCAN_METHODS.join(', ')}.`],
      },
    );
  }
  switch (method) {
    case 'eth_sendTransaction':
    case 'eth_signTransaction': {
      const [tx] = positional(request.params, method, 1);
      return {
        chainId,
        decoded: decodeTransaction(await normalizeTransactionRequestWithAuthorities(tx, chainId), method),
      };
    }
    case 'eth_sendRawTransaction': {
      const [raw] = positional(request.params, method, 1);
      return { chainId, decoded: await decodeRawTransaction(raw, chainId) };
    }
    case 'eth_sendUserOperation':
      return { chainId, decoded: decodeUserOperation(positional(request.params, method, 1), chainId) };
    case 'eth_signTypedData_v4':
    case 'eth_signTypedData_v3':
    case 'eth_signTypedData':
      return { chainId, decoded: decodeTypedDataRequest(method, positional(request.params, method, 2), chainId) };
    case 'personal_sign':
    case 'eth_sign':
      return { chainId, decoded: decodeMessageRequest(method, positional(request.params, method, 2), chainId) };
  }
}
