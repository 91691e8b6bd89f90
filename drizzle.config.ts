import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: [
    './src/db/schema.ts',
    './src/db/schema-conversations.ts',
    './src/db/schema-channels.ts',
    './src/db/schema-mail.ts',
    './src/db/schema-events.ts',
    './src/db/schema-imap.ts',
    './src/db/schema-contacts.ts',
  ],
  out: './drizzle',
});
