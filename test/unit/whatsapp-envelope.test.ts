import { describe, expect, it } from 'vitest';
import type { InboundMessageEvent } from '../../src/channels/types.ts';
import { parseCloudEnvelope, phoneNumberIdsOf } from '../../src/channels/whatsapp/envelope.ts';

/** Cloud API webhook variants from providers.md §3.4 and §13 (BSUIDs, system changes, edits, echoes…). */

const metadata = (id = '106540352242922') => ({ display_phone_number: '15550783881', phone_number_id: id });
const body = (...changes: { field?: string; value: Record<string, unknown>; id?: string }[]) => ({
  object: 'whatsapp_business_account',
  entry: changes.map((change, i) => ({
    id: `waba${i}`,
    changes: [
      {
        field: change.field ?? 'messages',
        value: { messaging_product: 'whatsapp', metadata: metadata(change.id), ...change.value },
      },
    ],
  })),
});

describe('Cloud API envelope', () => {
  it('reads every entry and change, and filters by business number when asked', () => {
    const payload = body(
      {
        value: {
          contacts: [{ wa_id: '111111111' }],
          messages: [{ from: '111111111', id: 'wamid.A', type: 'text', text: { body: 'a' } }],
        },
      },
      {
        id: '999',
        value: {
          contacts: [{ wa_id: '222222222' }],
          messages: [{ from: '222222222', id: 'wamid.B', type: 'text', text: { body: 'b' } }],
        },
      },
    );
    expect(parseCloudEnvelope(payload).map((e) => e.eventId)).toEqual(['wamid.A', 'wamid.B']);
    expect(parseCloudEnvelope(payload, { phoneNumberId: '999' }).map((e) => e.eventId)).toEqual(['wamid.B']);
    expect(phoneNumberIdsOf(payload)).toEqual(['106540352242922', '999']);
  });

  it('tolerates missing fields, nulls and garbage elements without dropping the good ones', () => {
    const payload = {
      object: 'whatsapp_business_account',
      entry: [
        null,
        5,
        {
          changes: [
            null,
            { field: 'messages' },
            {
              field: 'messages',
              value: {
                messages: [
                  null,
                  'x',
                  { type: 'text' },
                  { id: 'wamid.OK', from: '4915112345678', type: 'text', text: { body: 'fine' } },
                ],
                statuses: [{ status: 'delivered' }, { id: 'wamid.S', status: 'weird' }],
              },
            },
          ],
        },
      ],
    };
    expect(parseCloudEnvelope(payload)).toEqual([
      expect.objectContaining({ eventId: 'wamid.OK', text: 'fine' }),
    ]);
    expect(parseCloudEnvelope({})).toEqual([]);
    expect(parseCloudEnvelope(null)).toEqual([]);
  });

  it('keys a sender on the user id first and matches contacts by it when several are in one value', () => {
    const payload = body({
      value: {
        contacts: [
          { profile: { name: 'Ana' }, wa_id: '34600000001', user_id: 'ES.1111' },
          { profile: { name: 'Ben' }, wa_id: '34600000002', user_id: 'ES.2222' },
        ],
        messages: [
          {
            from: '34600000002',
            from_user_id: 'ES.2222',
            id: 'wamid.BEN',
            type: 'text',
            text: { body: 'hi' },
          },
          { from: '34600000001', id: 'wamid.ANA', type: 'text', text: { body: 'hola' } },
        ],
      },
    });
    const [ben, ana] = parseCloudEnvelope(payload);
    expect(ben).toMatchObject({
      sender: { platformUserId: 'ES.2222', chatId: '34600000002', displayName: 'Ben', phone: '+34600000002' },
      metadata: { wa_id: '34600000002', user_id: 'ES.2222' },
    });
    expect(ana).toMatchObject({
      sender: { platformUserId: 'ES.1111', chatId: '34600000001', displayName: 'Ana' },
    });
  });

  it('turns user_changed_user_id into an identity change without a phone', () => {
    const payload = body({
      value: {
        messages: [
          {
            from_user_id: 'US.OLD1',
            id: 'wamid.SYS',
            timestamp: '1767225600',
            type: 'system',
            system: {
              body: 'changed',
              type: 'user_changed_user_id',
              user_id: 'US.NEW1',
              previous_user_id: 'US.OLD1',
            },
          },
        ],
      },
    });
    expect(parseCloudEnvelope(payload)).toEqual([
      {
        kind: 'identity_changed',
        eventId: 'wamid.SYS',
        previousPlatformUserIds: ['US.OLD1'],
        sender: { platformUserId: 'US.NEW1', chatId: 'US.NEW1' },
        sentAt: '2026-01-01T00:00:00.000Z',
      },
    ]);
  });

  it('reads edits and revokes as edits of the original message, and Flows replies with their body', () => {
    const payload = body({
      value: {
        contacts: [{ wa_id: '4915112345678' }],
        messages: [
          {
            from: '4915112345678',
            id: 'wamid.E',
            type: 'edit',
            edit: {
              original_message_id: 'wamid.ORIG',
              message: { type: 'text', text: { body: 'fixed typo' } },
            },
          },
          {
            from: '4915112345678',
            id: 'wamid.R',
            type: 'revoke',
            revoke: { original_message_id: 'wamid.ORIG2' },
          },
          {
            from: '4915112345678',
            id: 'wamid.F',
            type: 'interactive',
            interactive: {
              type: 'nfm_reply',
              nfm_reply: { name: 'flow', body: 'Sent', response_json: '{"size":"XL"}' },
            },
          },
        ],
      },
    });
    const [edit, revoke, flow] = parseCloudEnvelope(payload);
    expect(edit).toMatchObject({ editOf: 'wamid.ORIG', text: 'fixed typo' });
    expect(revoke).toMatchObject({ editOf: 'wamid.ORIG2', text: '[deleted]' });
    expect(flow).toMatchObject({ text: 'Sent', metadata: { flow_response: '{"size":"XL"}' } });
  });

  it('records an edit Meta delivers as `unsupported` without answering it, labelled with its real kind', () => {
    // Meta's edit webhook is paused (edit reference, 2026-06): an edit arrives as `unsupported` + 131051.
    const unsupported = (id: string, kind: string, code = 131051, title = 'Message type unknown') => ({
      from: '4915112345678',
      id,
      timestamp: '1767225600',
      errors: [
        { code, title, message: title, error_data: { details: 'Message type is currently not supported.' } },
      ],
      type: 'unsupported',
      unsupported: { type: kind },
    });
    const payload = body({
      value: {
        contacts: [{ profile: { name: 'Lena Park' }, wa_id: '4915112345678' }],
        messages: [
          unsupported('wamid.U1', 'edit'),
          unsupported('wamid.U2', 'poll_update'),
          unsupported('wamid.U3', 'poll_creation'),
          unsupported('wamid.U4', 'media_placeholder', 131060, 'This message is currently unavailable.'),
        ],
      },
    });
    const [edit, vote, poll, unavailable] = parseCloudEnvelope(payload) as InboundMessageEvent[];
    expect(edit).toMatchObject({
      kind: 'message',
      providerMessageId: 'wamid.U1',
      text: '[unsupported message: edit]',
      noReply: expect.any(String),
      metadata: {
        unsupported: { type: 'edit', errors: [{ code: 131051, title: 'Message type unknown' }] },
      },
    });
    expect(edit?.editOf).toBeUndefined();
    expect(vote).toMatchObject({
      noReply: expect.any(String),
      metadata: { unsupported: { type: 'poll_update' } },
    });
    // Something new the person sent that the API cannot show: still answered (the agent can ask for it again).
    expect(poll).toMatchObject({ text: '[unsupported message: poll_creation]' });
    expect(poll?.noReply).toBeUndefined();
    expect(poll?.metadata?.unsupported).toEqual({
      type: 'poll_creation',
      errors: [{ code: 131051, title: 'Message type unknown' }],
    });
    expect(unavailable?.noReply).toBeUndefined();
    expect(unavailable?.metadata?.unsupported).toMatchObject({ type: 'media_placeholder' });
  });

  it('records request_welcome (the person opened the chat) as a message to answer', () => {
    const payload = body({
      value: {
        contacts: [{ profile: { name: 'Lena Park' }, wa_id: '4915112345678' }],
        messages: [
          { from: '4915112345678', id: 'wamid.W', timestamp: '1767225600', type: 'request_welcome' },
        ],
      },
    });
    const [welcome] = parseCloudEnvelope(payload) as InboundMessageEvent[];
    expect(welcome).toMatchObject({
      kind: 'message',
      eventId: 'wamid.W',
      text: '[opened the chat]',
      sender: { platformUserId: '4915112345678', displayName: 'Lena Park' },
      metadata: { request_welcome: true },
    });
    expect(welcome?.noReply).toBeUndefined();
  });

  it('reads statuses sent to a user id, played statuses, and failed statuses with code and title', () => {
    const payload = body({
      value: {
        statuses: [
          {
            id: 'wamid.1',
            status: 'read',
            timestamp: '1767225600',
            recipient_user_id: 'US.1',
            contacts: [{ user_id: 'US.1' }],
          },
          { id: 'wamid.2', status: 'played', timestamp: '1767225600', recipient_id: '4915112345678' },
          {
            id: 'wamid.3',
            status: 'failed',
            timestamp: '1767225600',
            recipient_id: '4915112345678',
            errors: [{ code: 131026, title: 'Message undeliverable' }],
          },
        ],
      },
    });
    expect(parseCloudEnvelope(payload)).toEqual([
      {
        kind: 'status',
        eventId: 'wamid.1:read',
        providerMessageId: 'wamid.1',
        status: 'read',
        at: '2026-01-01T00:00:00.000Z',
      },
      {
        kind: 'status',
        eventId: 'wamid.2:played',
        providerMessageId: 'wamid.2',
        status: 'played',
        at: '2026-01-01T00:00:00.000Z',
      },
      {
        kind: 'status',
        eventId: 'wamid.3:failed',
        providerMessageId: 'wamid.3',
        status: 'failed',
        at: '2026-01-01T00:00:00.000Z',
        error: { code: '131026', message: 'Message undeliverable' },
      },
    ]);
  });

  it('reads coexistence echoes, to a number or a user id', () => {
    const payload = body({
      field: 'smb_message_echoes',
      value: {
        message_echoes: [
          {
            from: '15550783881',
            to: '4915112345678',
            id: 'wamid.E1',
            timestamp: '1767225600',
            type: 'text',
            text: { body: 'Human reply' },
          },
          {
            from: '15550783881',
            to_user_id: 'US.77',
            id: 'wamid.E2',
            timestamp: '1767225600',
            type: 'image',
            image: { id: '55', mime_type: 'image/jpeg' },
          },
        ],
      },
    });
    expect(parseCloudEnvelope(payload)).toEqual([
      expect.objectContaining({
        kind: 'echo',
        eventId: 'echo:wamid.E1',
        providerMessageId: 'wamid.E1',
        text: 'Human reply',
        recipient: expect.objectContaining({ platformUserId: '4915112345678' }),
      }),
      expect.objectContaining({
        kind: 'echo',
        providerMessageId: 'wamid.E2',
        text: '[photo]',
        recipient: { platformUserId: 'US.77', chatId: 'US.77' },
        attachments: [{ type: 'image', ref: '55', mime_type: 'image/jpeg' }],
      }),
    ]);
  });

  it('reads edits and revokes in the echo stream as changes to the echoed message', () => {
    const echo = (id: string, change: Record<string, unknown>) => ({
      from: '15550783881',
      to: '4915112345678',
      id,
      timestamp: '1767225660',
      ...change,
    });
    const payload = body({
      field: 'smb_message_echoes',
      value: {
        message_echoes: [
          echo('wamid.EE', {
            type: 'edit',
            edit: {
              original_message_id: 'wamid.E1',
              message: { type: 'text', text: { body: 'Human reply, fixed' } },
            },
          }),
          echo('wamid.ER', { type: 'revoke', revoke: { original_message_id: 'wamid.E2' } }),
          echo('wamid.EX', { type: 'revoke', revoke: {} }),
        ],
      },
    });
    expect(parseCloudEnvelope(payload)).toEqual([
      expect.objectContaining({
        kind: 'echo',
        eventId: 'echo:wamid.EE',
        editOf: 'wamid.E1',
        text: 'Human reply, fixed',
      }),
      expect.objectContaining({
        kind: 'echo',
        eventId: 'echo:wamid.ER',
        editOf: 'wamid.E2',
        text: '[deleted]',
      }),
    ]);
  });

  it('reads an out-of-range timestamp as no time, without losing the rest of the batch', () => {
    // Date's range ends at 8.64e15 ms: these used to throw, and the whole body was recorded as unparseable.
    const payload = body({
      value: {
        contacts: [{ profile: { name: 'Lena' }, wa_id: '4915112345678' }],
        messages: [
          {
            from: '4915112345678',
            id: 'wamid.FAR',
            timestamp: '99999999999999999',
            type: 'text',
            text: { body: 'from far away' },
          },
          {
            from: '4915112345678',
            id: 'wamid.NEAR',
            timestamp: '1767225600',
            type: 'text',
            text: { body: 'on time' },
          },
        ],
        statuses: [
          { id: 'wamid.S1', status: 'delivered', timestamp: '1e300', recipient_id: '4915112345678' },
        ],
      },
    });
    const [far, near, status] = parseCloudEnvelope(payload);
    expect(far).toMatchObject({ eventId: 'wamid.FAR', text: 'from far away' });
    expect(far).not.toHaveProperty('sentAt');
    expect(near).toMatchObject({ eventId: 'wamid.NEAR', sentAt: '2026-01-01T00:00:00.000Z' });
    expect(status).toEqual({
      kind: 'status',
      eventId: 'wamid.S1:delivered',
      providerMessageId: 'wamid.S1',
      status: 'delivered',
    });
  });

  it('never takes the ids of a lone contact that names someone else', () => {
    const lone = (contact: Record<string, unknown>, message: Record<string, unknown>) =>
      parseCloudEnvelope(
        body({
          value: {
            contacts: [contact],
            messages: [{ id: 'wamid.L', type: 'text', text: { body: 'hi' }, ...message }],
          },
        }),
      )[0];
    // Another number with a user id: the message used to be keyed on that other person's user id.
    expect(
      lone({ profile: { name: 'Ben' }, wa_id: '34600000002', user_id: 'ES.2222' }, { from: '34600000001' }),
    ).toMatchObject({
      sender: { platformUserId: '34600000001', chatId: '34600000001', phone: '+34600000001' },
      metadata: { wa_id: '34600000001' },
    });
    expect(lone({ profile: { name: 'Ben' }, user_id: 'ES.2222' }, { from_user_id: 'ES.1111' })).toMatchObject(
      { sender: { platformUserId: 'ES.1111', chatId: 'ES.1111' } },
    );
    const other = lone({ profile: { name: 'Ben' }, wa_id: '34600000002' }, { from: '34600000001' });
    expect(other).not.toHaveProperty('sender.displayName');
    expect(other).not.toHaveProperty('metadata.user_id');
    // A lone contact without ids to compare still describes the author; a matching one fills the user id.
    expect(lone({ profile: { name: 'Ana' } }, { from: '34600000001' })).toMatchObject({
      sender: { platformUserId: '34600000001', displayName: 'Ana' },
    });
    expect(
      lone({ profile: { name: 'Ana' }, wa_id: '34600000001', user_id: 'ES.1111' }, { from: '34600000001' }),
    ).toMatchObject({
      sender: { platformUserId: 'ES.1111', chatId: '34600000001', alternateIds: ['34600000001'] },
    });
  });

  it('reads a number written with a leading + as the same digits', () => {
    const payload = body(
      {
        value: {
          contacts: [{ profile: { name: 'Lena' }, wa_id: '+4915112345678' }],
          messages: [{ from: '+4915112345678', id: 'wamid.P', type: 'text', text: { body: 'hi' } }],
        },
      },
      {
        field: 'smb_message_echoes',
        value: {
          message_echoes: [
            { from: '15550783881', to: '+4915112345678', id: 'wamid.PE', type: 'text', text: { body: 'yo' } },
          ],
        },
      },
    );
    const [message, echo] = parseCloudEnvelope(payload);
    expect(message).toMatchObject({
      sender: {
        platformUserId: '4915112345678',
        chatId: '4915112345678',
        displayName: 'Lena',
        phone: '+4915112345678',
      },
      metadata: { wa_id: '4915112345678' },
    });
    expect(echo).toMatchObject({ recipient: { platformUserId: '4915112345678', phone: '+4915112345678' } });
  });

  it('keeps a group message with its group id but never answers it in private', () => {
    const payload = body({
      value: {
        contacts: [{ profile: { name: 'Lena' }, wa_id: '4915112345678' }],
        messages: [
          {
            from: '4915112345678',
            group_id: 'Y2FwaV9ncm91cDoxNzA1NTU1MDEzOTox',
            id: 'wamid.G',
            timestamp: '1767225600',
            type: 'text',
            text: { body: 'What do you all think?' },
          },
        ],
      },
    });
    expect(parseCloudEnvelope(payload)).toEqual([
      expect.objectContaining({
        eventId: 'wamid.G',
        text: 'What do you all think?',
        sender: expect.objectContaining({ platformUserId: '4915112345678' }),
        noReply: 'WhatsApp group message',
        messageMetadata: { group_id: 'Y2FwaV9ncm91cDoxNzA1NTU1MDEzOTox' },
      }),
    ]);
  });

  it('ignores other webhook fields and withdrawn reactions', () => {
    const payload = body(
      { field: 'message_template_status_update', value: { event: 'APPROVED' } },
      {
        value: {
          contacts: [{ wa_id: '4915112345678' }],
          messages: [
            {
              from: '4915112345678',
              id: 'wamid.X',
              type: 'reaction',
              reaction: { message_id: 'wamid.Y', emoji: '' },
            },
          ],
        },
      },
    );
    expect(parseCloudEnvelope(payload)).toEqual([]);
  });
});
