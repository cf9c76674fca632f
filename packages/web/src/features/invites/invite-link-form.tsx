import { type FormEvent, useId, useState } from 'react';
import { FormError } from '../../components/form-error.tsx';
import { useApp } from '../../hooks/context.ts';
import { describeError } from '../../lib/errors.ts';
import '../../components/forms.css';
import './invites.css';

const EXPIRY_OPTIONS: Array<{ label: string; seconds: number | null }> = [
  { label: 'Never', seconds: null },
  { label: '1 hour', seconds: 3600 },
  { label: '1 day', seconds: 86_400 },
  { label: '7 days', seconds: 7 * 86_400 },
  { label: '30 days', seconds: 30 * 86_400 },
];

/** A new invite link: when it expires, how often it may be used, whether admins approve who comes. */
export function InviteLinkForm({ conversationId, onCreated }: { conversationId: string; onCreated(): Promise<void> }) {
  const { client } = useApp();
  const [expiry, setExpiry] = useState('0');
  const [maxUses, setMaxUses] = useState('');
  const [approval, setApproval] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const ids = { expiry: useId(), uses: useId(), approval: useId() };

  const create = async (event: FormEvent) => {
    event.preventDefault();
    const seconds = EXPIRY_OPTIONS[Number(expiry)]?.seconds ?? null;
    const uses = maxUses.trim() === '' ? undefined : Number(maxUses);
    if (uses !== undefined && (!Number.isInteger(uses) || uses < 1)) return setError('Max uses must be a whole number of at least 1.');
    setBusy(true);
    setError(null);
    try {
      await client.http.createInvite(conversationId, { ...(seconds ? { expiresInSec: seconds } : {}), ...(uses ? { maxUses: uses } : {}), ...(approval ? { requiresApproval: true } : {}) });
      setMaxUses('');
      await onCreated();
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="stack" onSubmit={create} aria-label="Create an invite link">
      <div className="gov-fields">
        <div>
          <label htmlFor={ids.expiry}>Expires</label>
          <select id={ids.expiry} value={expiry} onChange={(event) => setExpiry(event.target.value)}>
            {EXPIRY_OPTIONS.map((option, index) => (
              <option key={option.label} value={String(index)}>
                {option.label}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor={ids.uses}>Max uses</label>
          <input id={ids.uses} type="number" min={1} inputMode="numeric" placeholder="No limit" value={maxUses} onChange={(event) => (setMaxUses(event.target.value), setError(null))} />
        </div>
      </div>
      <div className="gov-check">
        <input id={ids.approval} type="checkbox" checked={approval} onChange={(event) => setApproval(event.target.checked)} />
        <label htmlFor={ids.approval}>Admins approve each request</label>
      </div>
      <FormError error={error} />
      <button type="submit" className="button" disabled={busy}>
        Create link
      </button>
    </form>
  );
}
