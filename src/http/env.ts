import type { Role } from '../auth/roles.ts';
import type { SessionTokens } from '../auth/sessions.ts';
import type { Config } from '../config.ts';
import type { Database } from '../db/client.ts';
import type { Logger } from '../logger.ts';

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
export type AppDeps = {
  config: Config;
  database: Database;
  logger: Logger;
  sessions: SessionTokens;
};

export type AppEnv = {
  Variables: {
    principal?: Principal;
    requestId: string;
  };
};
