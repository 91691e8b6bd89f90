import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { ReengagementTemplate } from '../../src/channels/whatsapp/settings.ts';
import type { AgentResponder, TurnInput } from '../../src/engine/responder.ts';
import { startTestApp, type TestApp } from './app.ts';
import { FakeGraph } from './fake-graph.ts';
import { createWorkspace, type Workspace } from './fixtures.ts';
import { eventually } from './loopback-peer.ts';
import { secret } from './secrets.ts';

/** A clock tests move forward; the engine reads it for every decision (the 24-hour window included). */
export class TestClock {
  offsetMs = 0;
  readonly now = () => new Date(Date.now() + this.offsetMs);
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

/**
 * The app with the engine, one workspace and a Meta WhatsApp channel against a fake Graph API on 127.0.0.1:
 * signed webhooks in, Graph API calls out. `fake` can be a FakeGraph subclass (e.g. one that lies about
 * media URLs).
 */
export class WhatsAppHarness {
  readonly accessToken = secret(`EAAG${randomBytes(24).toString('hex')}`);
  readonly appSecret = secret(randomBytes(16).toString('hex'));
  readonly verifyToken = secret(`verify-${randomBytes(8).toString('hex')}`);
  readonly phoneNumberId = '106540352242922';
  readonly clock = new TestClock();
  readonly turns: TurnInput[] = [];
  app!: TestApp;
  fake!: FakeGraph;
  ws!: Workspace;
  /** What the agent answers; replace per test. */
  reply: (input: TurnInput) => Promise<string> | string = (input) =>
    `re: ${input.pending.map((m) => m.content).join(' | ')}`;

  async start(
    env: Record<string, string> = {},
    makeFake = (o: ConstructorParameters<typeof FakeGraph>[0]) => new FakeGraph(o),
  ) {
    this.fake = await makeFake({
      accessToken: this.accessToken,
      appSecret: this.appSecret,
      phoneNumberId: this.phoneNumberId,
      displayPhoneNumber: '15550783881',
    }).start();
    const responder: AgentResponder = async (input) => {
      this.turns.push(input);
      return { text: await this.reply(input) };
    };
    this.app = await startTestApp(
      { META_GRAPH_API_ROOT: this.fake.url, TURN_DEBOUNCE_MS: 'whatsapp=0', ...env },
      undefined,
      { engine: { responder, now: this.clock.now } },
    );
    this.ws = await createWorkspace(this.app, 'wa');
    // Meta stamps messages with its clock, which in these tests moves with the engine's.
    this.fake.now = () => this.clock.now().getTime();
    this.fake.webhook = {
      url: `${this.app.url}/api/v1/channels/webhooks/whatsapp/${this.ws.agentId}`,
      headers: {},
    };
    return this;
  }

  get base(): string {
    return `/api/v1/organizations/${this.ws.orgId}/projects/${this.ws.projectId}/agents/${this.ws.agentId}`;
  }

  /** (Re)configures the Meta channel, with or without a re-engagement template. */
  async configure(template?: ReengagementTemplate): Promise<void> {
    const res = await this.app.call(
      'PUT',
      `/api/v1/channels/organizations/${this.ws.orgId}/projects/${this.ws.projectId}/agents/${this.ws.agentId}/channels`,
      {
        token: this.ws.owner.token,
        body: {
          whatsapp: {
            enabled: true,
            provider: 'meta',
            phone_number: '+15550783881',
            verify_token: this.verifyToken,
            // null clears a template configured before.
            reengagement_template: template ?? null,
            credentials: {
              phone_number_id: this.phoneNumberId,
              access_token: this.accessToken,
              app_secret: this.appSecret,
            },
          },
        },
      },
    );
    expect(res.status, res.text).toBe(200);
  }

  /** A signed inbound message from `waId`, posted like Meta does; resolves once it is stored. */
  async inbound(
    waId: string,
    message: Record<string, unknown>,
    name = 'Ana',
  ): Promise<{ id: string; conversationId: string }> {
    const value = this.fake.messageValue(message, { waId, name });
    const wamid = (value.messages as { id: string }[])[0]?.id as string;
    expect(await this.fake.emitChanges([{ value }])).toBe(200);
    return eventually(async () => {
      const rows = await this.app.database.query<{ id: string; conversation_id: string }>(
        `select id, conversation_id from messages where provider_message_id = $1`,
        [wamid],
      );
      return rows[0] ? { id: rows[0].id, conversationId: rows[0].conversation_id } : undefined;
    });
  }

  text(waId: string, body: string, name?: string) {
    return this.inbound(waId, { type: 'text', text: { body } }, name);
  }

  /** Outbound messages of the conversations with `waId`, oldest first. */
  async outbound(waId: string) {
    return this.app.database.query<{
      id: string;
      content: string;
      status: string;
      error_code: string | null;
      error_message: string | null;
      provider_message_id: string | null;
      template: { name: string; parameters: string[] } | null;
    }>(
      `select id, content, status, error_code, error_message, provider_message_id, template from messages
       where direction = 'outbound' and recipient ->> 'platformUserId' = $1 order by seq`,
      [waId],
    );
  }

  /** Sends the fake made to `waId` (what the person received), oldest first. */
  sentTo(waId: string) {
    return this.fake.sent.filter((s) => s.to === waId);
  }

  async close(): Promise<void> {
    await this.app?.close();
    await this.fake?.close();
  }
}
