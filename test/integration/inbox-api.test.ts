import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/loopback-peer.ts';
import { WhatsAppHarness } from '../helpers/whatsapp-app.ts';

/**
 * What the console's inbox reads from the conversation routes: each list row's contact and newest message, and
 * the WhatsApp 24-hour window on a conversation (Meta adapter against the fake Graph API).
 */
const HOURS = 3_600_000;
const wa = new WhatsAppHarness();
const list = (query = '') =>
  wa.app.call('GET', `${wa.base}/conversations${query}`, { token: wa.ws.owner.token });
const detail = (id: string) =>
  wa.app.call('GET', `${wa.base}/conversations/${id}`, { token: wa.ws.owner.token });

beforeAll(async () => {
  await wa.start();
  await wa.configure();
});
afterAll(() => wa.close());

describe('conversation list rows', () => {
  it("carry the contact's name and the newest message, shortened to 160 characters", async () => {
    const long = `Where is my order? ${'x'.repeat(300)}`;
    wa.reply = () => `Looking into it: ${'y'.repeat(300)}`;
    const { conversationId } = await wa.text('31611110001', long, 'Bea');
    const row = await eventually(async () => {
      const res = await list();
      expect(res.status, res.text).toBe(200);
      const found = res.body.data.find((c: { _id: string }) => c._id === conversationId);
      return found?.last_message?.role === 'assistant' ? found : undefined;
    });
    expect(row.contact).toMatchObject({ display_name: 'Bea' });
    expect(row.contact._id).toMatch(/^contact_/);
    expect(row.last_message).toMatchObject({ direction: 'outbound', channel: 'whatsapp' });
    expect(row.last_message.preview).toHaveLength(160);
    expect(row.last_message.preview.startsWith('Looking into it: yyy')).toBe(true);
    expect(Date.parse(row.last_message.created_at)).not.toBeNaN();
  });

  it('newest activity first, and the handoff filter keeps only conversations a human owns', async () => {
    const first = await wa.text('31611110002', 'first', 'Cas');
    const second = await wa.text('31611110003', 'second', 'Dirk');
    // Both answered, so no reply moves a conversation after the handoff below.
    await eventually(async () => {
      const rows = (await list()).body.data as { _id: string; last_message: { role: string } | null }[];
      const answered = rows.filter((r) => r.last_message?.role === 'assistant').map((r) => r._id);
      return answered.includes(first.conversationId) && answered.includes(second.conversationId)
        ? true
        : undefined;
    });
    const taken = await wa.app.call('POST', `${wa.base}/conversations/${first.conversationId}/handoff`, {
      token: wa.ws.owner.token,
      body: {},
    });
    expect(taken.status, taken.text).toBe(200);
    const handed = await list('?handoff=true');
    expect(handed.body.data.map((c: { _id: string }) => c._id)).toEqual([first.conversationId]);
    expect(handed.body.data[0].contact.display_name).toBe('Cas');
    const all = await list('?limit=2');
    expect(all.body.pagination).toMatchObject({ limit: 2, total: 3 });
    // The handoff touched the first conversation last: it leads.
    expect(all.body.data.map((c: { _id: string }) => c._id)).toEqual([
      first.conversationId,
      second.conversationId,
    ]);
  });
});

describe('WhatsApp window on a conversation', () => {
  it('is open for 24 hours after the person wrote, then closed', async () => {
    const { conversationId } = await wa.text('31611110004', 'hello', 'Eva');
    const open = await detail(conversationId);
    expect(open.status, open.text).toBe(200);
    expect(open.body.data.contact).toMatchObject({ display_name: 'Eva' });
    const window = open.body.data.whatsapp_window;
    expect(window.open).toBe(true);
    expect(Date.parse(window.closes_at) - Date.parse(window.last_inbound_at)).toBe(24 * HOURS);

    await wa.app.database.query(
      `update contact_identities set last_inbound_at = now() - interval '25 hours'
       where channel = 'whatsapp' and platform_user_id = '31611110004'`,
    );
    const closed = await detail(conversationId);
    expect(closed.body.data.whatsapp_window.open).toBe(false);
    expect(Date.parse(closed.body.data.whatsapp_window.closes_at)).toBeLessThan(Date.now());
  });
});

describe('OpenAPI document', () => {
  it('describes the list rows, the contact and the window', async () => {
    const doc = await wa.app.call('GET', '/api/openapi.json');
    const schemas = doc.body.components.schemas;
    const item = JSON.stringify(schemas.ConversationListItem);
    for (const field of ['"contact"', '"last_message"', '"preview"']) expect(item).toContain(field);
    const detail =
      doc.body.paths[
        '/api/v1/organizations/{orgId}/projects/{projectId}/agents/{agentId}/conversations/{conversationId}'
      ].get.responses['200'].content['application/json'].schema;
    expect(JSON.stringify(detail)).toContain('whatsapp_window');
  });
});
