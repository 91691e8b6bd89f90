import { expect } from 'vitest';
import type { ReplyButton } from '../../src/channels/types.ts';
import type { AgentResponder, TurnInput } from '../../src/engine/responder.ts';
import { startTestApp, type TestApp } from './app.ts';
import { type FakeTwilio, type Params, startFakeTwilio } from './fake-twilio.ts';
import { createWorkspace, type Workspace } from './fixtures.ts';
import { eventually } from './loopback-peer.ts';
import { secret } from './secrets.ts';
import { TestClock } from './whatsapp-app.ts';

/** What the overrides fragment on every URL we hand Twilio looks like (webhook/info prints it). */
export const OVERRIDES = '#rc=5&rp=ct,rt,5xx';
export const SENDER = '+14155550100';

/**
 * The app with the engine, one workspace and a Twilio WhatsApp channel against the fake Twilio on 127.0.0.1.
 * PUBLIC_URL is a public name (as behind a proxy): the fake signs that URL and delivers to the app's own port.
 */
export class TwilioHarness {
  readonly publicUrl = 'https://switchboard.example.com';
  readonly clock = new TestClock();
  readonly turns: TurnInput[] = [];
  app!: TestApp;
  fake!: FakeTwilio;
  ws!: Workspace;
  /** What the agent answers; replace per test. */
  reply: (input: TurnInput) => Promise<string> | string = (input) =>
    `re: ${input.pending.map((m) => m.content).join(' | ')}`;
  /** Quick replies the agent adds to its next answers. */
  buttons: ReplyButton[] | undefined;

  async start(env: Record<string, string> = {}) {
    this.fake = await startFakeTwilio({ sender: SENDER });
    secret(this.fake.authToken);
    const responder: AgentResponder = async (input) => {
      this.turns.push(input);
      return { text: await this.reply(input), ...(this.buttons ? { buttons: this.buttons } : {}) };
    };
    this.app = await startTestApp(
      {
        PUBLIC_URL: this.publicUrl,
        TWILIO_API_ROOT: this.fake.url,
        TWILIO_MESSAGING_API_ROOT: this.fake.url,
        TURN_DEBOUNCE_MS: 'whatsapp=0',
        CHANNEL_CONFIG_WRITES_PER_MINUTE: '1000',
        CHANNEL_TESTS_PER_MINUTE: '1000',
        ...env,
      },
      undefined,
      { engine: { responder, now: this.clock.now } },
    );
    this.ws = await createWorkspace(this.app, 'tw');
    this.fake.deliverTo = (url) => url.replace(this.publicUrl, this.app.url);
    return this;
  }

  get channelsPath(): string {
    return `/api/v1/channels/organizations/${this.ws.orgId}/projects/${this.ws.projectId}/agents/${this.ws.agentId}/channels`;
  }

  get base(): string {
    return `/api/v1/organizations/${this.ws.orgId}/projects/${this.ws.projectId}/agents/${this.ws.agentId}`;
  }

  /** The URL pasted into the Twilio console (public, with the connection overrides). */
  get hookUrl(): string {
    return `${this.publicUrl}/api/v1/channels/webhooks/whatsapp/${this.ws.agentId}${OVERRIDES}`;
  }

  /** PUTs the spec's Twilio configuration, plus `extra` fields. */
  async configure(extra: Record<string, unknown> = {}): Promise<void> {
    const { credentials, ...rest } = extra as { credentials?: Record<string, unknown> };
    const res = await this.app.call('PUT', this.channelsPath, {
      token: this.ws.owner.token,
      body: {
        whatsapp: {
          enabled: true,
          provider: 'twilio',
          phone_number: SENDER,
          credentials: { account_sid: this.fake.accountSid, auth_token: this.fake.authToken, ...credentials },
          ...rest,
        },
      },
    });
    expect(res.status, res.text).toBe(200);
  }

  /** Posts signed inbound `params`; resolves once the message is stored. */
  async inbound(params: Params): Promise<{ id: string; conversationId: string; sid: string }> {
    const sid = params.find(([n]) => n === 'MessageSid')?.[1] as string;
    expect(await this.fake.emit(this.hookUrl, params)).toBe(200);
    return eventually(async () => {
      const rows = await this.app.database.query<{ id: string; conversation_id: string }>(
        `select id, conversation_id from messages where provider_message_id = $1`,
        [sid],
      );
      return rows[0] ? { id: rows[0].id, conversationId: rows[0].conversation_id, sid } : undefined;
    });
  }

  /** A text from `from` (+E164). */
  text(from: string, body: string, name?: string, extra: Record<string, string> = {}) {
    return this.inbound(this.fake.inboundParams(from, body, extra, name));
  }

  /** Outbound messages to `from` (+E164), oldest first. */
  async outbound(from: string) {
    return this.app.database.query<{
      id: string;
      content: string;
      status: string;
      error_code: string | null;
      error_message: string | null;
      provider_message_id: string | null;
      template: { name: string; parameters: string[] } | null;
      delivered_at: Date | null;
      read_at: Date | null;
    }>(
      `select id, content, status, error_code, error_message, provider_message_id, template, delivered_at, read_at
       from messages where direction = 'outbound' and recipient ->> 'platformUserId' = $1 order by seq`,
      [from.replace(/^\+/, '')],
    );
  }

  /** Messages the fake accepted for `from` (+E164), oldest first. */
  sentTo(from: string) {
    return this.fake.sent.filter((s) => s.to === `whatsapp:${from}`);
  }

  async close(): Promise<void> {
    await this.app?.close();
    await this.fake?.close();
  }
}
