import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import type { WebhookLane } from '../engine/webhook-fast-lane.ts';

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/** Serves the app over node:http; requests the fast lane takes never reach Hono. */
export function listen(
  app: Pick<Hono, 'fetch'>,
  lane: WebhookLane | undefined,
  options: { port: number; hostname: string },
  onListening?: Parameters<typeof serve>[1],
): ReturnType<typeof serve> {
  const withLane = (serverOptions: object, hono: Listener) =>
    createServer(serverOptions, lane ? (req, res) => lane(req, res) || hono(req, res) : hono);
  return serve({ fetch: app.fetch, ...options, createServer: withLane as typeof createServer }, onListening);
}
