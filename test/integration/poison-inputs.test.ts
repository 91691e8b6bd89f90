import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/loopback-peer.ts';
import { startTelegramApp, type TelegramApp } from '../helpers/telegram-app.ts';

/**
 * Strings PostgreSQL cannot store (NUL, unpaired surrogates) and unbounded text: refused with a 400 naming the field
 * on the API, repaired and bounded on provider webhooks (stored and answered, never a 503 redelivery loop).
 */

let tg: TelegramApp;
const base = () => `/api/v1/organizations/${tg.ws.orgId}/projects/${tg.ws.projectId}`;

beforeAll(async () => {
  tg = await startTelegramApp();
});
afterAll(() => tg?.close());

describe('API input PostgreSQL cannot store', () => {
  it('answers 400 naming the field for a NUL or unpaired surrogate in a value or key, at any depth', async () => {
    const cases: Array<[string, string, string, string]> = [
      ['POST', '/api/v1/organizations', '{"name":"a\\u0000b"}', 'Invalid body: name:'],
      ['POST', '/api/v1/organizations', '{"name":"\\ud800x"}', 'Invalid body: name:'],
      ['POST', '/api/v1/organizations', '{"name":"x\\udc00"}', 'Invalid body: name:'],
      [
        'POST',
        `${base()}/agents`,
        '{"name":"a","llm_settings":{"provider":"dev","model":"\\u0000"}}',
        'llm_settings.model:',
      ],
      ['POST', `${base()}/agents`, '{"name":"a","tags":[1,{"k\\u0000":1}]}', 'Invalid body: tags.1.k'],
      ['PUT', `${base()}/agents/${tg.ws.agentId}`, '{"description":"\\ud83d"}', 'Invalid body: description:'],
    ];
    for (const [method, path, rawBody, message] of cases) {
      const res = await tg.app.call(method, path, {
        token: tg.ws.owner.token,
        rawBody,
        headers: { 'content-type': 'application/json' },
      });
      expect(res.status, rawBody).toBe(400);
      expect(res.body.error, rawBody).toContain(message);
      expect(res.body.error).toContain('NUL character or an unpaired surrogate');
    }
    // A well-formed pair (an emoji) is fine.
    const ok = await tg.app.call('POST', '/api/v1/organizations', {
      token: tg.ws.owner.token,
      body: { name: 'Team \ud83d\ude80' },
    });
    expect(ok.status, ok.text).toBe(201);
  });

  it('answers 400 for %00 in a path segment or a query parameter', async () => {
    const path = await tg.app.call('GET', `${base()}/agents/agent_x%00y`, { token: tg.ws.owner.token });
    expect(path.status).toBe(400);
    expect(path.body.error).toContain('Invalid path');
    const query = await tg.app.call(
      'GET',
      `${base()}/agents/${tg.ws.agentId}/conversations?user_identifier=a%00`,
      {
        token: tg.ws.owner.token,
      },
    );
    expect(query.status).toBe(400);
    expect(query.body.error).toContain('Invalid query: user_identifier');
    const webhook = await tg.app.call('POST', `/api/v1/channels/webhooks/telegram/agent_%00`, {
      rawBody: '{}',
    });
    expect(webhook.status).toBe(400);
  });
});

describe('provider data PostgreSQL cannot store', () => {
  it('stores a Telegram message with NUL and unpaired surrogates as U+FFFD and answers it once (no 503)', async () => {
    const user = { ...tg.user(), first_name: 'Ze\u0000ro\ud800' };
    const status = await tg.fake.deliver(tg.fake.textUpdate(user, 'hi\u0000there \udc00 ok'));
    expect(status).toBe(200);
    const messages = await eventually(async () => {
      const rows = await tg.messagesOf(user.id);
      return rows.length >= 2 ? rows : undefined;
    });
    expect(messages.map((m) => [m.role, m.content])).toEqual([
      ['user', 'hi\uFFFDthere \uFFFD ok'],
      ['assistant', 'echo: hi\uFFFDthere \uFFFD ok'],
    ]);
    const deliveries = tg.fake.deliveries.filter((d) => d.status !== 200);
    expect(deliveries).toEqual([]);
    const contact = await tg.app.database.query<{ display_name: string }>(
      `select display_name from contacts where display_name like 'Ze%'`,
    );
    expect(contact[0]?.display_name).toBe('Ze\uFFFDro\uFFFD');
  });

  it('bounds a 900,000-character Telegram message by the channel limit with a visible marker', async () => {
    const user = tg.user();
    const huge = 'x'.repeat(900_000);
    expect(await tg.fake.deliver(tg.fake.textUpdate(user, huge))).toBe(200);
    const [stored] = await eventually(async () => {
      const rows = await tg.messagesOf(user.id);
      return rows.length >= 2 ? rows : undefined;
    });
    expect(stored?.content.startsWith('x'.repeat(4096))).toBe(true);
    expect(stored?.content).toContain('[… truncated: 895904 more characters not shown]');
    expect(stored!.content.length).toBeLessThan(4200);
    const turn = tg.turns.find((t) => t.pending.some((m) => m.content.startsWith('xxxx')));
    expect(turn?.pending[0]?.content.length).toBeLessThan(4200);
  });
});

describe('a webhook whose update can never be stored', () => {
  it('a correctly signed body that is not an update is kept as rejected and answered 200, not retried forever', async () => {
    const webhook = (tg.fake as unknown as { webhook: { url: string; secret: string } }).webhook;
    const body = '{"update_id": 12, "message": ';
    const post = (secret: string) =>
      fetch(tg.fake.deliverTo(webhook.url), {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secret },
        body,
      });
    // Unsigned garbage is refused before it is read.
    expect((await post('wrong-secret')).status).toBe(401);
    const res = await post(webhook.secret);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ success: true, accepted: 0, rejected: 1 });
    const rows = await tg.app.database.query<{ body_base64: string; reason: string }>(
      `select body_base64, reason from rejected_webhooks where reason = 'unparseable'`,
    );
    expect(rows.map((row) => Buffer.from(row.body_base64, 'base64').toString('utf8'))).toEqual([body]);
  });

  it('is recorded as rejected with its raw bytes and answered 200; a transient failure still answers 503', async () => {
    const engine = tg.app.engine!;
    const realIngest = engine.ingestor.ingest.bind(engine.ingestor);
    // A genuine data error from the database, as a poison row that slipped past the repair would raise.
    const poison = await tg.app.database.query(`select '"\\u0000"'::jsonb`).catch((e: unknown) => e);
    expect((poison as { code?: string }).code).toMatch(/^22/);
    const transient = Object.assign(new Error('terminating connection due to administrator command'), {
      code: '57P01',
    });
    try {
      engine.ingestor.ingest = async () => Promise.reject(poison);
      const update = tg.fake.textUpdate(tg.user(), 'cannot be stored');
      tg.fake.deliveryAttempts = 1;
      expect(await tg.fake.deliver(update)).toBe(200);
      const [row] = await tg.app.database.query<{ channel: string; body_base64: string; reason: string }>(
        `select channel, body_base64, reason from rejected_webhooks where reason <> 'unparseable'`,
      );
      expect(row?.channel).toBe('telegram');
      expect(row?.reason).toBe((poison as { code: string }).code);
      expect(JSON.parse(Buffer.from(row!.body_base64, 'base64').toString('utf8'))).toEqual(update);
      expect(tg.app.logs.filter((l) => l.includes('recorded as rejected') && l.includes('"22'))).toHaveLength(
        1,
      );

      engine.ingestor.ingest = async () => Promise.reject(transient);
      expect(await tg.fake.deliver(tg.fake.textUpdate(tg.user(), 'retry me'))).toBe(503);
    } finally {
      engine.ingestor.ingest = realIngest;
      tg.fake.deliveryAttempts = 5;
    }
  });
});
