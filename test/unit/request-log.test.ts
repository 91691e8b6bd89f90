import { describe, expect, it } from 'vitest';
import { type RequestLogMode, requestLog } from '../../src/http/request-log.ts';
import { captureLogger } from '../helpers/logs.ts';

/** The level each request logs at under `mode` with the logger at debug ('none' when nothing was logged). */
function levelsOf(mode: RequestLogMode, requests: [method: string, path: string, status: number][]) {
  const { logger, lines } = captureLogger('debug');
  const log = requestLog(logger, mode);
  return requests.map(([method, path, status]) => {
    const before = lines.length;
    log('req-1', method, path, status, performance.now());
    const line = lines[before];
    return line === undefined ? 'none' : (JSON.parse(line) as { level: string }).level;
  });
}

/** A request, the level it logs at in `changes` mode, and in `all` mode. */
const CASES: [method: string, path: string, status: number, changes: string, all: string][] = [
  ['GET', '/api/v1/organizations/org_1', 200, 'debug', 'info'],
  ['HEAD', '/api/v1/organizations/org_1', 304, 'debug', 'info'],
  ['GET', '/api/v1/organizations/org_1', 403, 'info', 'info'],
  ['POST', '/api/v1/organizations', 201, 'info', 'info'],
  ['DELETE', '/api/v1/organizations/org_1', 200, 'info', 'info'],
  ['GET', '/healthz', 200, 'debug', 'info'],
  ['GET', '/readyz', 503, 'error', 'error'],
  ['POST', '/api/v1/channels/webhooks/telegram/agent_1', 200, 'debug', 'info'],
  ['POST', '/api/v1/channels/webhooks/telegram/agent_1', 401, 'info', 'info'],
  ['GET', '/api/v1/conversations', 500, 'error', 'error'],
];
const requests = CASES.map(([method, path, status]) => [method, path, status] as [string, string, number]);

describe('request log', () => {
  it('in changes mode logs writes and failures at info, what changed nothing and went well at debug', () => {
    expect(levelsOf('changes', requests)).toEqual(CASES.map((c) => c[3]));
  });

  it('in all mode logs every request at info, 5xx at error', () => {
    expect(levelsOf('all', requests)).toEqual(CASES.map((c) => c[4]));
  });

  it('writes one line with the request id, method, path, status and duration, and none below the level', () => {
    const { logger, lines } = captureLogger('info');
    const log = requestLog(logger);
    log('req-9', 'GET', '/api/v1/agents', 200, performance.now());
    expect(lines).toEqual([]);
    log('req-10', 'PATCH', '/api/v1/agents/agent_1', 200, performance.now() - 12.34);
    expect(lines.map((l) => JSON.parse(l))).toMatchObject([
      {
        level: 'info',
        msg: 'request',
        request_id: 'req-10',
        method: 'PATCH',
        path: '/api/v1/agents/agent_1',
        status: 200,
      },
    ]);
    expect((JSON.parse(lines[0] as string) as { ms: number }).ms).toBeGreaterThanOrEqual(12.3);
  });
});
