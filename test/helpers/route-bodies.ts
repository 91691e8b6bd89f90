/** A body valid enough to pass validation, for each organization route that takes one (route guard, fuzz). */
export const VALID_BODIES: Record<string, unknown> = {
  'PUT /api/v1/organizations/:orgId': { name: 'hijacked' },
  'POST /api/v1/organizations/:orgId/api-tokens': { name: 'steal', role: 'viewer' },
  'POST /api/v1/organizations/:orgId/members': { email: 'someone@example.test', role: 'viewer' },
  'PUT /api/v1/organizations/:orgId/members/:userId': { role: 'viewer' },
  'POST /api/v1/organizations/:orgId/projects': { name: 'x' },
  'PUT /api/v1/organizations/:orgId/projects/:projectId': { name: 'x' },
  'POST /api/v1/organizations/:orgId/projects/:projectId/agents': { name: 'x' },
  'PUT /api/v1/organizations/:orgId/projects/:projectId/agents/:agentId': { name: 'x' },
  'POST /api/v1/organizations/:orgId/projects/:projectId/api-keys': {
    name: 'x',
    provider: 'openai',
    key: 'sk-guard',
  },
  'PUT /api/v1/channels/organizations/:orgId/projects/:projectId/agents/:agentId/channels': {
    website: { enabled: true },
  },
  'POST /api/v1/channels/organizations/:orgId/projects/:projectId/agents/:agentId/channels/telegram/webhook/setup':
    { webhook_url: 'https://example.test/hook' },
  'POST /api/v1/channels/organizations/:orgId/projects/:projectId/agents/:agentId/channels/whatsapp/webhook/setup':
    { webhook_url: 'https://example.test/hook' },
  'POST /api/v1/organizations/:orgId/projects/:projectId/agents/:agentId/conversations/:conversationId/messages':
    { template: { name: 'reopen', language: 'en' } },
  'POST /api/v1/organizations/:orgId/projects/:projectId/agents/:agentId/contacts/:contactId/merge': {
    contact_id: 'contact_01jd2x3y4z5a6b7c8d9e0f1g2h',
  },
  'POST /api/v1/organizations/:orgId/projects/:projectId/agents/:agentId/contacts/:contactId/split': {
    identity_id: 'ident_01jd2x3y4z5a6b7c8d9e0f1g2h',
  },
  'POST /api/v1/organizations/:orgId/projects/:projectId/agents/:agentId/conversations': {
    channel: 'telegram',
    recipient: '42',
    text: 'hi',
  },
  'POST /api/v1/organizations/:orgId/projects/:projectId/agents/:agentId/conversations/:conversationId/handoff':
    {},
  'POST /api/v1/organizations/:orgId/projects/:projectId/agents/:agentId/chat': { message: 'hi' },
  'POST /api/v1/organizations/:orgId/projects/:projectId/agents/:agentId/chat/stream': { message: 'hi' },
  'POST /api/v1/organizations/:orgId/event-webhooks': {
    url: 'https://example.test/hook',
    event_types: ['conversation.closed'],
  },
  'PATCH /api/v1/organizations/:orgId/event-webhooks/:webhookId': { enabled: false },
};
