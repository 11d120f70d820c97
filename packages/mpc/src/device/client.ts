/**
 * The device's HTTP client for the server party: enrols the device key, then signs every request
 * (see auth.ts) and turns the server's `{code, message, details}` answers back into typed errors.
 * It takes a `fetch` so it runs unchanged in Node, a browser page and a Web Worker.
 */
import { BaseError, type BaseErrorParameters, type ErrorDetails, isErrorCode, utf8ToBytes } from '@custos/core';
import { type DeviceKey, signEnrolment, signRequest } from './auth.js';

export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: Uint8Array | string },
) => Promise<{ status: number; text(): Promise<string> }>;

export interface MpcServerClientOptions {
  /** e.g. http://127.0.0.1:8787 — no trailing slash needed. */
  baseUrl: string;
  key: DeviceKey;
  deviceId?: string;
  fetch?: FetchLike;
}

export class MpcServerClient {
  readonly baseUrl: string;
  readonly key: DeviceKey;
  #deviceId: string | undefined;
  readonly #fetch: FetchLike;

  constructor(options: MpcServerClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.key = options.key;
    this.#deviceId = options.deviceId;
    this.#fetch = options.fetch ?? ((url, init) => fetch(url, init as RequestInit));
  }

  get deviceId(): string | undefined {
    return this.#deviceId;
  }

  /** Enrols the device key with the server (challenge, then a signature over it). */
  async enrol(): Promise<string> {
    const { challenge } = await this.#send<{ challenge: string }>('POST', '/v1/mpc/devices/challenge', {}, false);
    const body = await signEnrolment(this.key, challenge);
    const { deviceId } = await this.#send<{ deviceId: string }>('POST', '/v1/mpc/devices', body, false);
    this.#deviceId = deviceId;
    return deviceId;
  }

  /** A device-signed request. */
  request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    return this.#send<T>(method, path, body, true);
  }

  async #send<T>(method: string, path: string, body: unknown, signed: boolean): Promise<T> {
    const bytes = body === undefined ? new Uint8Array(0) : utf8ToBytes(JSON.stringify(body));
    const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
    if (signed) {
      if (this.#deviceId === undefined) {
        throw new BaseError('MPC_DEVICE_AUTH_FAILED', 'this device is not enrolled', {
          details: { check: 'device.enrolled' },
          hints: ['Enrol the device first (MpcServerClient.enrol).'],
        });
      }
      Object.assign(headers, await signRequest(this.key, this.#deviceId, method, path, bytes));
    }
    let response: { status: number; text(): Promise<string> };
    try {
      response = await this.#fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: bytes }),
      });
    } catch (cause) {
      throw new BaseError('SERVER_UNREACHABLE', `cannot reach ${this.baseUrl}`, { cause });
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = text === '' ? {} : JSON.parse(text);
    } catch (cause) {
      throw new BaseError('MPC_INVALID_MESSAGE', `the server answered ${response.status} with non-JSON`, {
        details: { status: response.status, check: 'http.json' },
        cause,
      });
    }
    if (response.status >= 400) throw serverError(response.status, json);
    return json as T;
  }
}

/**
 * An error the server answered. `data` is the structured payload some refusals carry — e.g. the
 * co-signer's risk verdict and, for warnings, the confirmation token the device sends back once its
 * user has confirmed them.
 */
export class MpcServerError extends BaseError {
  override name = 'MpcServerError';
  readonly data: unknown;

  constructor(
    code: ConstructorParameters<typeof BaseError>[0],
    message: string,
    params: BaseErrorParameters,
    data: unknown,
  ) {
    super(code, message, params);
    this.data = data;
  }
}

function serverError(status: number, json: unknown): BaseError {
  const body = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
  const code = isErrorCode(body.code) ? body.code : 'INTERNAL';
  const message = typeof body.message === 'string' ? body.message : `server answered ${status}`;
  const details: Record<string, string | number | boolean | null> = { status };
  if (typeof body.details === 'object' && body.details !== null) {
    for (const [k, v] of Object.entries(body.details)) {
      if (v === null || ['string', 'number', 'boolean'].includes(typeof v))
        details[k] = v as string | number | boolean | null;
    }
  }
  const hints = Array.isArray(body.hints) ? body.hints.filter((h): h is string => typeof h === 'string') : [];
  return new MpcServerError(code, message, { details: details as ErrorDetails, hints }, body.data);
}
