import './tab-links.css';

/** Section tabs as links to hash routes (each tab has its own address); the current one is marked. */
export function TabLinks(props: {
  label: string;
  tabs: { id: string; label: string; href: string }[];
  current: string;
}) {
  return (
    <nav class="tab-links" aria-label={props.label}>
      {props.tabs.map((tab) => (
        <a key={tab.id} href={tab.href} aria-current={tab.id === props.current ? 'page' : undefined}>
          {tab.label}
        </a>
      ))}
    </nav>
  );
}
