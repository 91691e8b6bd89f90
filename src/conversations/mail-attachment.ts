import { extractAttachment } from '../channels/email/attachment.ts';
import type { Database } from '../db/client.ts';

/** `rawmail:<raw mail id>:<index>`: an attachment inside a mail this server stored (src/channels/email). */
const RAW_MAIL_REF = /^rawmail:(rawmail_[0-9a-z]{1,40}):(\d{1,4})$/;

export const isRawMailRef = (ref: string): boolean => RAW_MAIL_REF.test(ref);

/**
 * The bytes of an attachment kept inside one of this agent's stored raw mails; undefined when the mail or the
 * part is not there. The agent id is part of the lookup, so a ref never reaches another tenant's mail.
 */
export async function rawMailAttachment(
  database: Database,
  agentId: string,
  ref: string,
): Promise<{ body: ReadableStream<Uint8Array>; contentType: string; size: number } | undefined> {
  const match = RAW_MAIL_REF.exec(ref);
  if (!match) return undefined;
  const [row] = await database.query<{ raw: Uint8Array }>(
    'select raw from raw_mails where id = $1 and agent_id = $2',
    [match[1], agentId],
  );
  if (!row) return undefined;
  const part = await extractAttachment(Buffer.from(row.raw), Number(match[2])).catch((error: unknown) => {
    if (error instanceof RangeError) return undefined;
    throw error;
  });
  if (!part) return undefined;
  const content = new Uint8Array(part.content);
  return {
    body: new ReadableStream({
      start(controller) {
        controller.enqueue(content);
        controller.close();
      },
    }),
    contentType: part.contentType,
    size: content.byteLength,
  };
}
