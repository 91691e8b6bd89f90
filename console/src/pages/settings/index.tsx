import { useRoute } from '../../router.ts';
import { type Role, useSession } from '../../session.tsx';
import { TabLinks } from '../../ui/tab-links.tsx';
import { AccountTab } from './account-tab.tsx';
import { AgentsTab } from './agents-tab.tsx';
import { LlmKeysTab } from './llm-keys-tab.tsx';
import { MembersTab } from './members-tab.tsx';
import { TokensTab } from './tokens-tab.tsx';
import './settings.css';

/** Each tab and the least role that may open it (what the API lets that role read). */
const TABS = [
  { id: 'agents', label: 'Agents', min: 'viewer', view: AgentsTab },
  { id: 'llm-keys', label: 'LLM keys', min: 'viewer', view: LlmKeysTab },
  { id: 'members', label: 'Members', min: 'viewer', view: MembersTab },
  { id: 'api-tokens', label: 'API tokens', min: 'admin', view: TokensTab },
  { id: 'account', label: 'Account', min: undefined, view: AccountTab },
] as const satisfies readonly { id: string; label: string; min: Role | undefined; view: unknown }[];

/** `#/settings/<tab>`: agents, project LLM keys, members, organization API tokens and your own account. */
export default function SettingsPage() {
  const { params } = useRoute();
  const { can } = useSession();
  const tabs = TABS.filter((tab) => tab.min === undefined || can(tab.min));
  // Account is open to every role, so there is always at least one tab.
  const current = tabs.find((tab) => tab.id === params[0]) ?? tabs[0] ?? TABS[4];
  const View = current.view;
  return (
    <section class="settings" aria-labelledby="settings-title">
      <h1 id="settings-title">Settings</h1>
      <TabLinks
        label="Settings sections"
        current={current.id}
        tabs={tabs.map((tab) => ({ id: tab.id, label: tab.label, href: `#/settings/${tab.id}` }))}
      />
      <View />
    </section>
  );
}
