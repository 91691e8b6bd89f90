import type { Role } from '../auth/roles.ts';
import type { SessionTokens } from '../auth/sessions.ts';
import type { ChannelAccounts } from '../channels/accounts.ts';
import type { ChannelAccount } from '../channels/types.ts';
import type { Config } from '../config.ts';
import type { Database } from '../db/client.ts';
import type { Engine } from '../engine/engine.ts';
import type { SenderLookup } from '../engine/senders.ts';
import type { Logger } from '../logger.ts';
import type { Vault } from '../vault/vault.ts';

/** Who is calling: a user, through a session, a personal token or an organization token. */
export type Principal = {
  userId: string;
  via: 'session' | 'personal_token' | 'organization_token';
  tokenId?: string;
  /** Organization tokens only: the one organization they reach, and their role cap there. */
  tokenOrganizationId?: string;
  tokenRole?: Role;
};

/** Everything route handlers need, injected once at start-up. */
import type { ChatService } from '../chat/chat-service.ts';
import type { VisitorTokens } from '../widget/visitor-tokens.ts';
import type { RateLimitFactory } from './rate-limit.ts';
import type { EventsService } from '../events/service.ts';

export type AppDeps = {
  config: Config;
  database: Database;
  logger: Logger;
  sessions: SessionTokens;
  /** The conversation engine; absent when not started (some tests), so webhooks answer 503 and providers redeliver. */
  engine?: Engine;
  /** Resolves an agent's channel to its adapter (webhook verification, delivery). */
  senders?: SenderLookup;
  /** Seals and opens stored credentials (channel secrets, project LLM keys). */
  vault: Vault;
  /** Channel configurations: the routes write through it; webhooks and delivery resolve accounts from its cache. */
  channelAccounts: ChannelAccounts;
  /** HTTP client handed to provider adapters (tests point it at fake servers); defaults to global fetch. */
  fetch?: typeof fetch;
  /** Chat answered in the request (chat API, widget API); absent = those routes are not mounted. */
  chats?: ChatService;
  /** Widget visitor tokens. */
  visitors?: VisitorTokens;
  /** Rate-limit budgets: in-process by default, PostgreSQL-backed with RATE_LIMIT_STORE=postgres. */
  rateLimits?: RateLimitFactory;
  /** Live events (SSE fan-out); absent = the event stream route is not mounted. */
  events?: EventsService;
};

export type AppEnv = {
  Variables: {
    principal?: Principal;
    requestId: string;
    /** The agent's website channel, resolved once by the widget routes' middleware. */
    websiteAccount?: ChannelAccount;
  };
};
