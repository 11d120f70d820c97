/**
 * How a capability declares a route: method, URL, access, and zod schemas for params, query and
 * body from which the handler's argument types come. Input that fails its schema is an
 * INVALID_INPUT naming the first bad field; the handler never sees it.
 */
import { BaseError } from '@custos/core';
import type { FastifyError, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import type { z } from 'zod';
import type { Access, Principal } from '../access/principals.js';
import type { Services } from '../services.js';

type Schema = z.ZodType;
type Out<S> = S extends Schema ? z.output<S> : undefined;

export type RouteErrorHandler = (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => FastifyReply;

export interface RouteContext<B, Q, P> {
  body: B;
  query: Q;
  params: P;
  principal: Principal | undefined;
  request: FastifyRequest;
  reply: FastifyReply;
  services: Services;
}

export interface RouteDefinition<
  B extends Schema | undefined,
  Q extends Schema | undefined,
  P extends Schema | undefined,
> {
  method: HTTPMethods;
  url: string;
  summary: string;
  access: Access;
  /** Largest accepted body in bytes when it differs from the server's 1 MiB. */
  bodyLimit?: number;
  /**
   * Answers this route's errors (body parsing included) instead of the server's handler, for
   * routes that speak another protocol's errors (JSON-RPC); it may hand an error back to it.
   */
  errorHandler?: RouteErrorHandler;
  body?: B;
  query?: Q;
  params?: P;
  handler(context: RouteContext<Out<B>, Out<Q>, Out<P>>): Promise<unknown>;
}

/** A route with its types erased, as the registry stores it (the schemas still guard it). */
export interface Route {
  method: HTTPMethods;
  url: string;
  summary: string;
  access: Access;
  bodyLimit?: number;
  errorHandler?: RouteErrorHandler;
  body?: Schema;
  query?: Schema;
  params?: Schema;
  handler(context: RouteContext<unknown, unknown, unknown>): Promise<unknown>;
}

export function defineRoute<
  B extends Schema | undefined = undefined,
  Q extends Schema | undefined = undefined,
  P extends Schema | undefined = undefined,
>(definition: RouteDefinition<B, Q, P>): Route {
  return definition as unknown as Route;
}

/** A capability's routes, registered together. */
export interface RouteModule {
  name: string;
  routes: readonly Route[];
}

export function parseInput(schema: Schema | undefined, value: unknown, where: 'body' | 'query' | 'params'): unknown {
  if (schema === undefined) return undefined;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = [where, ...(issue?.path ?? []).map(String)].join('.');
  throw new BaseError('INVALID_INPUT', `"${field}" ${issue?.message ?? 'is invalid'}`, { details: { field } });
}
