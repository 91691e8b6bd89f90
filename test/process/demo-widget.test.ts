import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listeningUrl, type ServerProcess, spawnServer } from '../helpers/process.ts';
import { postSse } from '../helpers/sse.ts';

let server: ServerProcess | undefined;
let dataDir: string | undefined;
afterEach(() => {
  server?.child.kill('SIGKILL');
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('a fresh npm start', () => {
  it('lets a visitor chat with the demo agent through the public widget API, with no configuration', async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-demo-'));
    server = spawnServer({ DATA_DIR: dataDir });
    const url = await listeningUrl(server);
    const agentId = /Demo agent\s+(agent_\S+)/.exec(server.stdout())?.[1];
    expect(agentId).toMatch(/^agent_/);
    // The banner prints the demo page, which serves the built widget.
    const demoUrl = /Widget demo\s+(\S+)/.exec(server.stdout())?.[1];
    expect(demoUrl).toBe(`${url}/widget/demo?agent=${agentId}`);
    const demo = await fetch(demoUrl as string);
    expect(demo.status).toBe(200);
    const script = /src="(\/widget\/[0-9a-f]+\.js)"/.exec(await demo.text())?.[1];
    const code = await fetch(`${url}${script}`);
    expect(code.status).toBe(200);
    expect(code.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    const widget = `${url}/api/v1/widget/${agentId}`;

    const settings = await fetch(`${widget}/settings`);
    expect(settings.status).toBe(200);
    const session = await fetch(`${widget}/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'http://localhost:8080' },
      body: '{}',
    });
    expect(session.status).toBe(200);
    const { data } = (await session.json()) as { data: { token: string } };
    const streamed = await postSse(
      `${widget}/messages/stream`,
      { message: 'Hello demo' },
      {
        authorization: `Bearer ${data.token}`,
      },
    );
    expect(streamed.status).toBe(200);
    expect(streamed.events.filter((e) => e.event === 'response_chunk').length).toBeGreaterThan(1);
    const complete = streamed.events.at(-1);
    expect(complete?.event).toBe('complete');
    expect(complete?.data.response).toContain('Hello demo');
    expect(complete?.data.response).toMatch(/No LLM is configured/);
  });
});
