import { useState } from 'preact/hooks';
import { type Page, query } from '../../api.ts';
import { Button } from '../../ui/button.tsx';
import { formatDate } from '../../ui/dates.ts';
import { EmptyState } from '../../ui/empty-state.tsx';
import { ErrorText } from '../../ui/error-text.tsx';
import { Pager } from '../../ui/pager.tsx';
import { Spinner } from '../../ui/spinner.tsx';
import { useResource } from '../../ui/use-resource.ts';
import { IdentityChip } from './identity-line.tsx';
import { type Contact, contactName } from './types.ts';

const PAGE_SIZE = 25;

/** What the search box searches: the API's query parameters. */
const FIELDS = [
  { value: 'q', label: 'Anything' },
  { value: 'name', label: 'Name' },
  { value: 'email', label: 'Email (exact)' },
  { value: 'phone', label: 'Phone (exact)' },
  { value: 'platform_id', label: 'Platform id' },
] as const;
type SearchField = (typeof FIELDS)[number]['value'];

export function ContactList(props: { agentPath: string }) {
  const [field, setField] = useState<SearchField>('q');
  const [text, setText] = useState('');
  const [search, setSearch] = useState<{ field: SearchField; text: string }>({ field: 'q', text: '' });
  const [page, setPage] = useState(1);
  const path = `${props.agentPath}/contacts${query({ page, limit: PAGE_SIZE, [search.field]: search.text.trim() })}`;
  const { data, error, loading } = useResource<Page<Contact>>(path);

  const submit = (event: Event) => {
    event.preventDefault();
    setSearch({ field, text });
    setPage(1);
  };
  const searching = search.text.trim() !== '';

  return (
    <section class="contacts" aria-labelledby="contacts-title">
      <h1 id="contacts-title">Contacts</h1>
      <form role="search" class="contact-search" onSubmit={submit} aria-label="Contact search">
        <label class="visually-hidden" for="contact-search-field">
          Search in
        </label>
        <select
          id="contact-search-field"
          value={field}
          onChange={(e) => setField(e.currentTarget.value as SearchField)}
        >
          {FIELDS.map((f) => (
            <option key={f.value} value={f.value}>
              {f.label}
            </option>
          ))}
        </select>
        <label class="visually-hidden" for="contact-search-text">
          Search contacts
        </label>
        <input
          id="contact-search-text"
          type="search"
          placeholder="Name, email, phone or platform id"
          value={text}
          maxLength={320}
          onInput={(e) => setText(e.currentTarget.value)}
        />
        <Button type="submit" variant="primary">
          Search
        </Button>
      </form>
      <ErrorText error={error} />
      {!data && loading ? <Spinner label="Loading contacts…" /> : null}
      {data && data.data.length === 0 ? (
        searching ? (
          <EmptyState title="No contact matches">
            Nobody matches “{search.text.trim()}”. Email and phone searches need the whole, verified address
            or number; “Anything” matches parts of names, ids and usernames.
          </EmptyState>
        ) : (
          <EmptyState title="No contacts yet">
            A contact appears when someone writes to this agent on any channel. Connect one under{' '}
            <a href="#/channels">Channels</a>, or try it out in the <a href="#/playground">Playground</a>.
          </EmptyState>
        )
      ) : null}
      {data && data.data.length > 0 ? (
        <>
          <p class="muted contact-count">
            {data.pagination.total} {data.pagination.total === 1 ? 'contact' : 'contacts'}
            {searching ? ' found' : ''}
          </p>
          <ul class="contact-list" aria-label="Contacts">
            {data.data.map((contact) => (
              <li key={contact._id}>
                <a class="contact-row" href={`#/contacts/${encodeURIComponent(contact._id)}`}>
                  <span class="contact-row-name">{contactName(contact)}</span>
                  <span class="contact-row-ids">
                    {contact.identities.map((identity) => (
                      <IdentityChip key={identity._id} identity={identity} />
                    ))}
                  </span>
                  <span class="contact-row-date muted">Since {formatDate(contact.created_at)}</span>
                </a>
              </li>
            ))}
          </ul>
          <Pager
            label="Contact pages"
            page={data.pagination.page}
            limit={data.pagination.limit}
            total={data.pagination.total}
            onPage={setPage}
          />
        </>
      ) : null}
    </section>
  );
}
