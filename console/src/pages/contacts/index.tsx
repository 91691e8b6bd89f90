import { useRoute } from '../../router.ts';
import { useSession } from '../../session.tsx';
import { EmptyState } from '../../ui/empty-state.tsx';
import { ContactList } from './contact-list.tsx';
import { ContactPage } from './contact-page.tsx';
import './contacts.css';

/** `#/contacts` lists and searches the agent's contacts; `#/contacts/<id>` shows one. */
export default function ContactsPage() {
  const { params } = useRoute();
  const { agentPath } = useSession();
  if (!agentPath) {
    return (
      <EmptyState title="No agent yet">
        Contacts belong to an agent. Create one under <a href="#/settings/agents">Settings → Agents</a>,
        connect a channel, and everyone who writes to it appears here.
      </EmptyState>
    );
  }
  const contactId = params[0];
  return contactId ? (
    <ContactPage key={contactId} agentPath={agentPath} contactId={contactId} />
  ) : (
    <ContactList agentPath={agentPath} />
  );
}
