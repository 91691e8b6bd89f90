import { useEffect, useState } from 'preact/hooks';

/** The console's pages, in nav order. */
export const PAGES = ['inbox', 'contacts', 'channels', 'analytics', 'playground', 'settings'] as const;
export type PageName = (typeof PAGES)[number];

export type Route = { page: PageName; params: string[] };

/** `#/inbox/conv_1` → { page: 'inbox', params: ['conv_1'] }; anything unknown is the inbox. */
export function parseHash(hash: string): Route {
  const [first, ...rest] = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  const page = (PAGES as readonly string[]).includes(first ?? '') ? (first as PageName) : 'inbox';
  return { page, params: page === first ? rest : [] };
}

export function navigate(hash: string): void {
  if (location.hash !== hash) location.hash = hash;
}

/** The current route, re-rendering on hash changes. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const update = () => setRoute(parseHash(location.hash));
    addEventListener('hashchange', update);
    return () => removeEventListener('hashchange', update);
  }, []);
  return route;
}
