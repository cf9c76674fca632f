import type { Device } from '@parley/protocol';
import { useCallback, useEffect, useId, useState } from 'react';
import { FormError } from '../../components/form-error.tsx';
import { InlineConfirm } from '../../components/inline-confirm.tsx';
import { useNotify } from '../../components/toasts.tsx';
import { useApp } from '../../hooks/context.ts';
import { describeError } from '../../lib/errors.ts';
import { formatDateTime } from '../../lib/format.ts';
import '../../components/forms.css';
import './settings.css';

/** The viewer's device sessions, with revoke. */
export function DeviceList() {
  const { client, sessionId } = useApp();
  const notify = useNotify();
  const [devices, setDevices] = useState<Device[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [revoking, setRevoking] = useState<Device | null>(null);
  const [revokingOthers, setRevokingOthers] = useState(false);
  const headingId = useId();

  const load = useCallback(async () => {
    try {
      setDevices(await client.devices());
      setError(null);
    } catch (failure) {
      setError(`Could not load devices: ${describeError(failure)}`);
    }
  }, [client]);
  useEffect(() => {
    void load();
  }, [load]);

  const currentId = sessionId();
  const isCurrent = (device: Device) => (currentId ? device.id === currentId : device.current);
  const sorted = devices ? [...devices].sort((a, b) => Number(isCurrent(b)) - Number(isCurrent(a)) || (a.lastUsedAt < b.lastUsedAt ? 1 : -1)) : null;

  return (
    <section className="stack gov-settings" aria-labelledby={headingId}>
      <h3 id={headingId}>Devices</h3>
      <FormError error={error} />
      {sorted === null ? (
        !error && <p className="list-status">Loading devices…</p>
      ) : (
        <ul className="gov-list" aria-labelledby={headingId}>
          {sorted.map((device) => {
            const name = device.name ?? 'Unnamed device';
            return (
              <li key={device.id} className="gov-row gov-device" data-current={isCurrent(device) || undefined}>
                <span className="gov-device-text">
                  <strong>{name}</strong>
                  {isCurrent(device) && <span className="gov-badge">This device</span>}
                  <span className="muted">Last active {formatDateTime(device.lastUsedAt)}</span>
                </span>
                {!isCurrent(device) &&
                  (revoking?.id === device.id ? (
                    <InlineConfirm
                      message={`Sign out ${name}? It will have to sign in again.`}
                      confirmLabel="Sign out"
                      onCancel={() => setRevoking(null)}
                      onConfirm={async () => {
                        setRevoking(null);
                        try {
                          await client.revokeDevice(device.id);
                          notify(`${name} was signed out.`);
                        } catch (failure) {
                          notify(`Could not sign out the device: ${describeError(failure)}`);
                        }
                        await load();
                      }}
                    />
                  ) : (
                    <button type="button" className="button button-small button-danger-outline" aria-label={`Sign out ${name}, last active ${formatDateTime(device.lastUsedAt)}`} onClick={() => setRevoking(device)}>
                      Sign out
                    </button>
                  ))}
              </li>
            );
          })}
        </ul>
      )}
      {sorted && sorted.some((device) => !isCurrent(device)) &&
        (revokingOthers ? (
          <InlineConfirm
            message="Sign out every other device? Each will have to sign in again."
            confirmLabel="Sign out all"
            onCancel={() => setRevokingOthers(false)}
            onConfirm={async () => {
              setRevokingOthers(false);
              try {
                const count = await client.signOutOtherDevices();
                notify(count === 1 ? '1 other device was signed out.' : `${count} other devices were signed out.`);
              } catch (failure) {
                notify(`Could not sign out the other devices: ${describeError(failure)}`);
              }
              await load();
            }}
          />
        ) : (
          <button type="button" className="button button-small button-danger-outline gov-revoke-others" onClick={() => setRevokingOthers(true)}>
            Sign out of all other devices
          </button>
        ))}
    </section>
  );
}
