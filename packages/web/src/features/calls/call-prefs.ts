const RELAY_KEY = 'parley.calls.relayOnly';

/**
 * "Always relay calls": peer-to-peer calls use only TURN relay candidates
 * (`iceTransportPolicy: 'relay'`), so the other side never learns this device's
 * addresses. Costs a relay hop; needs the server to hand out TURN (`TURN_URLS`).
 * Remembered in this browser.
 */
export function relayOnlyCalls(): boolean {
  try {
    return localStorage.getItem(RELAY_KEY) === '1';
  } catch {
    return false;
  }
}

export function setRelayOnlyCalls(on: boolean): void {
  try {
    if (on) localStorage.setItem(RELAY_KEY, '1');
    else localStorage.removeItem(RELAY_KEY);
  } catch {
    // Not remembered: nothing to do (the next call reads the default).
  }
}
