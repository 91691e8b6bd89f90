import type { FunctionComponent } from 'preact';
import type { PageName } from '../router.ts';
import AnalyticsPage from './analytics/index.tsx';
import ChannelsPage from './channels/index.tsx';
import ContactsPage from './contacts/index.tsx';
import InboxPage from './inbox/index.tsx';
import PlaygroundPage from './playground/index.tsx';
import SettingsPage from './settings/index.tsx';

/** Each page: its nav label and component (pages read their route params with useRoute()). */
export const PAGE_VIEWS: Record<PageName, { label: string; view: FunctionComponent }> = {
  inbox: { label: 'Inbox', view: InboxPage },
  contacts: { label: 'Contacts', view: ContactsPage },
  channels: { label: 'Channels', view: ChannelsPage },
  analytics: { label: 'Analytics', view: AnalyticsPage },
  playground: { label: 'Playground', view: PlaygroundPage },
  settings: { label: 'Settings', view: SettingsPage },
};
