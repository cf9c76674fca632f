import type { DataExport } from '@parley/protocol';
import { useCallback, useEffect, useId, useState } from 'react';
import { FormError } from '../../components/form-error.tsx';
import { useApp } from '../../hooks/context.ts';
import { describeError } from '../../lib/errors.ts';
import { formatDateTime } from '../../lib/format.ts';
import { formatBytes } from '../media/use-file-url.ts';
import '../../components/forms.css';
import '../settings/settings.css';

/** How often an export on its way is read again; the server builds it in the background. */
const POLL_MS = 1500;

const STATE_TEXT: Record<DataExport['state'], string> = {
  pending: 'Waiting to be prepared…',
  running: 'Being prepared…',
  ready: 'Ready',
  failed: 'Could not be prepared',
  expired: 'Expired',
};

/**
 * "Export your data" in Settings: ask for an export (docs/data.md#exporting-your-data), follow
 * it while the server prepares it, and download it through its short-lived link. The link is
 * fetched fresh with the export, so it is never stale when shown.
 */
export function ExportSettings() {
  const { client } = useApp();
  const [latest, setLatest] = useState<DataExport | null | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const headingId = useId();

  const load = useCallback(async () => {
    try {
      setLatest((await client.listExports())[0] ?? null);
    } catch (failure) {
      setError(`Could not load your exports: ${describeError(failure)}`);
    }
  }, [client]);
  useEffect(() => {
    void load();
  }, [load]);

  // While one is on its way, read it again until it is settled.
  const waiting = latest?.state === 'pending' || latest?.state === 'running';
  useEffect(() => {
    if (!waiting || !latest) return;
    let stopped = false;
    const timer = setTimeout(() => {
      client.getExport(latest.id).then(
        (next) => !stopped && setLatest(next),
        (failure: unknown) => !stopped && setError(describeError(failure)),
      );
    }, POLL_MS);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [client, latest, waiting]);

  const request = async () => {
    setBusy(true);
    setError(null);
    try {
      setLatest(await client.requestExport());
    } catch (failure) {
      const retryAfterMs = (failure as { code?: string; details?: { retryAfterMs?: unknown } }).code === 'rate_limited' ? (failure as { details?: { retryAfterMs?: unknown } }).details?.retryAfterMs : undefined;
      setError(typeof retryAfterMs === 'number'
        ? `You asked for an export recently. You can ask for a new one after ${formatDateTime(new Date(Date.now() + retryAfterMs).toISOString())}.`
        : `Could not ask for an export: ${describeError(failure)}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="stack gov-settings" aria-labelledby={headingId}>
      <h3 id={headingId}>Your data</h3>
      <p className="muted">Download your profile, your conversations, the messages you can read and their files, as one archive (.tar.gz).</p>
      {latest && (
        <p className="export-status" role="status">
          Export of {formatDateTime(latest.createdAt)}: <strong>{STATE_TEXT[latest.state]}</strong>
          {latest.state === 'ready' && latest.url && latest.size !== null && (
            <>
              {' '}
              <a className="button button-small" href={client.http.absoluteUrl(latest.url)} download>
                Download ({formatBytes(latest.size)})
              </a>
              {latest.expiresAt && <span className="muted"> Available until {formatDateTime(latest.expiresAt)}.</span>}
            </>
          )}
        </p>
      )}
      <FormError error={error} />
      <div>
        <button type="button" className="button" disabled={busy || waiting || latest === undefined} onClick={() => void request()}>
          {waiting ? 'Preparing your export…' : 'Export your data'}
        </button>
      </div>
    </section>
  );
}
