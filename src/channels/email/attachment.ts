/**
 * The bytes of attachment `index` of a raw mail, in the order `parseEmail` lists them (the `ref`
 * `rawmail:<raw id>:<index>` names it). Throws RangeError when the mail has no such attachment.
 */
export async function extractAttachment(
  raw: Buffer,
  index: number,
): Promise<{ content: Buffer; contentType: string; filename?: string }> {
  const { simpleParser } = await import('mailparser');
  const mail = await simpleParser(raw, {
    skipHtmlToText: true,
    skipTextToHtml: true,
    skipImageLinks: true,
    keepDeliveryStatus: true,
  });
  const attachment = Number.isInteger(index) && index >= 0 ? mail.attachments[index] : undefined;
  if (!attachment) throw new RangeError(`The mail has no attachment ${index}`);
  return {
    content: attachment.content,
    contentType: attachment.contentType,
    ...(attachment.filename ? { filename: attachment.filename } : {}),
  };
}

/** The attachment ref stored on a message: raw mail id and attachment index. */
export const attachmentRef = (rawMailId: string, index: number) => `rawmail:${rawMailId}:${index}`;
