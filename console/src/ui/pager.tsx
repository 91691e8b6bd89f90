import { Button } from './button.tsx';
import './pager.css';

/** "21–40 of 53" with Previous/Next; renders nothing when everything fits on one page. */
export function Pager(props: {
  page: number;
  limit: number;
  total: number;
  label: string;
  onPage: (page: number) => void;
}) {
  const { page, limit, total } = props;
  const pages = Math.max(1, Math.ceil(total / limit));
  if (total <= limit && page === 1) return null;
  const first = total === 0 ? 0 : (page - 1) * limit + 1;
  const last = Math.min(total, page * limit);
  return (
    <nav class="pager" aria-label={props.label}>
      <Button disabled={page <= 1} onClick={() => props.onPage(page - 1)}>
        Previous
      </Button>
      <span class="pager-status" aria-live="polite">
        {first}–{last} of {total}
      </span>
      <Button disabled={page >= pages} onClick={() => props.onPage(page + 1)}>
        Next
      </Button>
    </nav>
  );
}
