import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeliveryError } from '../../src/channels/errors.ts';
import { createPublicFetch } from '../../src/net/outbound-guard.ts';
import type {
  AdapterContext,
  ChannelAccount,
  InboundEvent,
  OutboundMessage,
  ProviderAdapter,
  RawRequest,
  VerifyResult,
} from '../../src/channels/types.ts';
import { captureLogger } from '../helpers/logs.ts';

/**
 * The contract every provider adapter meets (architecture guide: "one shared contract test suite"). A provider's
 * contract file describes its fixtures and its fake server; this suite checks the same promises for each:
 * the config schema names the bad field, verify accepts the signed request and fails closed on a forged, a
 * missing or an unconfigured secret, every fixture parses to events carrying the provider's ids, send returns a
 * provider message id, each provider error becomes the right DeliveryError, and no secret reaches a log line or
 * an error message.
 */

/** A provider error the fake server is told to answer with, and what the adapter must make of it. */
export type ErrorCase = {
  name: string;
  inject(): void;
  expect: { retryable: boolean; code?: string | RegExp; minRetryAfterMs?: number; blocked?: boolean };
};

export type ContractSpec = {
  adapter: ProviderAdapter;
  /** A complete, valid configuration, secrets included. */
  config: Record<string, unknown>;
  /** Invalid configurations, each with the field its error must name. */
  invalidConfigs: { config: Record<string, unknown>; field: string }[];
  /** Starts the provider's fake server; returns the context settings pointing at it, and a stopper. */
  startFake(): Promise<{
    apiRoots?: Record<string, string>;
    settings?: Record<string, unknown>;
    /** Other context fields the fake needs (e.g. the CA file of a TLS test server). */
    context?: Partial<AdapterContext>;
    stop(): Promise<void>;
  }>;
  /**
   * For channels whose parsing is asynchronous and not an adapter hook (email: the shared MIME pipeline
   * runs in a job after the raw mail is stored): turns a signed request into events instead of `parse`.
   */
  parseAsync?(request: RawRequest, ctx: AdapterContext): Promise<InboundEvent[]>;
  /**
   * The hook that authenticates this provider's posts, when it is not `adapter.verify` (email providers:
   * `verifyInboundMail`, bound to the adapter).
   */
  verify?(request: RawRequest, ctx: AdapterContext): Promise<VerifyResult>;
  /** A request the provider would send for `payload`, signed with the configured secret. */
  signed(payload: unknown): RawRequest;
  /** Ways to get the signature wrong (tampered body, wrong secret, missing header…). */
  forged(payload: unknown): { name: string; request: RawRequest }[];
  /** Realistic inbound payloads and the events each must become. */
  fixtures: { name: string; payload: unknown; expect: (events: InboundEvent[]) => void }[];
  /** Context overrides that point the adapter at a port where nothing listens. */
  unreachable: { apiRoots?: Record<string, string>; settings?: Record<string, unknown> };
  /** The recipient a successful send goes to. */
  recipient: { platformUserId: string; chatId: string };
  errorCases: ErrorCase[];
};

/** A secret's value in the config, by its dotted field name (`credentials.access_token`). */
const secretOf = (config: Record<string, unknown>, field: string): string =>
  String(valueAt(config, field) ?? '');

/** A channel account held in memory: settings plus secrets, as ChannelAccounts would hand it over. */
function accountOf(
  spec: ContractSpec,
  settings: Record<string, unknown>,
  withSecrets = true,
): ChannelAccount {
  const secrets = new Map(
    spec.adapter.secretFields.map((field) => [field, secretOf(spec.config, field)] as const),
  );
  return {
    agentId: 'agent_contract',
    channel: spec.adapter.channel as ChannelAccount['channel'],
    provider: spec.adapter.provider,
    enabled: true,
    settings: { ...spec.config, ...settings },
    secret: async (field) => (withSecrets ? secrets.get(field) || undefined : undefined),
  };
}

/** A config value by dotted path (`smtp_config.password`). */
function valueAt(config: Record<string, unknown>, field: string): unknown {
  return field
    .split('.')
    .reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], config);
}

export function adapterContract(spec: ContractSpec): void {
  const { adapter } = spec;
  const { logger, lines: logs } = captureLogger('debug');
  let fake: Awaited<ReturnType<ContractSpec['startFake']>>;
  let ctx: AdapterContext;
  const errors: string[] = [];

  beforeAll(async () => {
    fake = await spec.startFake();
    ctx = {
      account: accountOf(spec, fake.settings ?? {}),
      fetch,
      fetchPublic: createPublicFetch({ allowPrivate: false }),
      now: () => Date.now(),
      logger,
      ...(fake.apiRoots ? { apiRoots: fake.apiRoots } : {}),
      ...fake.context,
    };
  });
  afterAll(() => fake?.stop());

  describe(`${adapter.provider} adapter contract`, () => {
    it('accepts its valid configuration and names the field of each invalid one', () => {
      expect(adapter.configSchema.safeParse(spec.config).success).toBe(true);
      expect(spec.invalidConfigs.length).toBeGreaterThan(0);
      for (const { config, field } of spec.invalidConfigs) {
        const result = adapter.configSchema.safeParse(config);
        expect(result.success, field).toBe(false);
        const paths = result.error?.issues.map((issue) => issue.path.join('.')) ?? [];
        expect(paths, field).toContain(field);
      }
      for (const field of adapter.secretFields)
        expect(spec.config, field).toHaveProperty(field.split('.')[0]!);
    });

    it('verifies the signed request and fails closed on forged, missing and unconfigured secrets', async () => {
      const verify = spec.verify ?? adapter.verify?.bind(adapter);
      expect(verify, 'every provider verifies its webhooks').toBeTypeOf('function');
      if (!verify) return;
      const payload = spec.fixtures[0]?.payload;
      expect(await verify(spec.signed(payload), ctx)).toMatchObject({ ok: true });
      const forged = spec.forged(payload);
      expect(forged.length).toBeGreaterThanOrEqual(2);
      for (const { name, request } of forged) {
        expect((await verify(request, ctx)).ok, name).toBe(false);
      }
      const unconfigured = { ...ctx, account: accountOf(spec, fake.settings ?? {}, false) };
      expect((await verify(spec.signed(payload), unconfigured)).ok).toBe(false);
    });

    it('parses every fixture into events that carry the provider ids', async () => {
      expect(spec.fixtures.length).toBeGreaterThan(0);
      for (const fixture of spec.fixtures) {
        const request = spec.signed(fixture.payload);
        const events = spec.parseAsync
          ? await spec.parseAsync(request, ctx)
          : (adapter.parse?.(request, ctx) ?? []);
        for (const event of events) {
          expect(event.eventId, fixture.name).toMatch(/\S/);
          if (event.kind === 'message') expect(event.sender.platformUserId, fixture.name).toMatch(/\S/);
          if (event.kind === 'status') expect(event.providerMessageId, fixture.name).toMatch(/\S/);
        }
        fixture.expect(events);
      }
    });

    const message = (n: number): OutboundMessage => ({
      messageId: `msg_contract_${n}`,
      idempotencyKey: `msg_contract_${n}`,
      conversationId: 'conv_contract',
      recipient: spec.recipient,
      text: `Contract message ${n} with <angle> & *stars*`,
    });

    it('sends a message and returns the provider message id', async () => {
      const result = await adapter.send?.(message(1), ctx);
      expect(result?.providerMessageId).toMatch(/\S/);
    });

    it('turns each provider error into the right DeliveryError', async () => {
      expect(spec.errorCases.length).toBeGreaterThan(0);
      for (const [i, errorCase] of spec.errorCases.entries()) {
        errorCase.inject();
        const error = await adapter.send?.(message(100 + i), ctx).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error, errorCase.name).toBeInstanceOf(DeliveryError);
        const failure = error as DeliveryError;
        errors.push(inspect(failure, { depth: 6 }));
        expect(failure.retryable, errorCase.name).toBe(errorCase.expect.retryable);
        if (errorCase.expect.code) expect(failure.code, errorCase.name).toMatch(errorCase.expect.code);
        if (errorCase.expect.minRetryAfterMs !== undefined) {
          expect(failure.retryAfterMs ?? 0, errorCase.name).toBeGreaterThanOrEqual(
            errorCase.expect.minRetryAfterMs,
          );
        }
        expect(failure.blocked, errorCase.name).toBe(errorCase.expect.blocked ?? false);
      }
    });

    it('reports an unreachable provider as a retryable network error', async () => {
      const { apiRoots, settings } = spec.unreachable;
      const offline: AdapterContext = {
        ...ctx,
        account: accountOf(spec, { ...fake.settings, ...settings }),
        ...(apiRoots ? { apiRoots } : {}),
      };
      const error = await adapter.send?.(message(99), offline).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(DeliveryError);
      expect((error as DeliveryError).retryable).toBe(true);
      errors.push(inspect(error, { depth: 6 }));
    });

    it('never puts a secret in a log line or an error message', () => {
      const secrets = adapter.secretFields
        .map((field) => secretOf(spec.config, field))
        .filter((value) => value.length >= 8);
      expect(secrets.length).toBeGreaterThan(0);
      const written = [...logs, ...errors].join('\n');
      for (const secret of secrets) expect(written).not.toContain(secret);
    });
  });
}
