/** One rendered outbound message, as the sandbox provider hands it to its outbox. */
export type SandboxDelivery = {
  /** Our outbound message id: a retried send of the same message is stored once. */
  messageId: string;
  agentId: string;
  channel: string;
  /** The id the sandbox answered with (email: the Message-ID, as SMTP does). */
  providerMessageId: string;
  /** The provider request (or MIME mail) exactly as rendered. */
  payload: Record<string, unknown>;
};

/**
 * Where the sandbox provider keeps what it "sent", and how the delivery is then confirmed. Adapters never touch the
 * database: the engine wires a durable implementation (src/playground/outbox.ts) into the sandbox account's context.
 */
export type SandboxOutbox = {
  /** Stores the delivery (idempotent on `messageId`) and records its `delivered` status through normal ingest. */
  record(delivery: SandboxDelivery): Promise<void>;
};
