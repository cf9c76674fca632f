import type { Call, CallRingFrame, CallRingStopFrame, CallSignalFrame } from '@parley/protocol';

/** What the ringer needs of the client. */
export interface CallHost {
  /** Calls that ring for you or that you are in, as the server has them now (`GET /v1/me/calls`). */
  fetchMine(): Promise<Call[]>;
  meId(): string | null;
  emitRing(ring: IncomingCall): void;
  emitRingStop(stop: Omit<CallRingStopFrame, 't'>): void;
  emitSignal(signal: CallSignalFrame): void;
}

/** A call ringing on this device: show it until `expiresAt` or a `callRingStop` for it. */
export interface IncomingCall {
  call: Call;
  /** Epoch ms when the ring runs out (the server then records a missed call). */
  expiresAt: number;
}

/**
 * Ringing on the client. Ring frames are not in any log, so after every (re)connect the
 * client asks what rings for it (`GET /v1/me/calls`) and rings or stops accordingly;
 * each ring ends on its own at its expiry, on a `call_ring_stop`, or when this device
 * answers or declines it. The call's history (started, joined, missed, ended) comes
 * through the conversation's log like any event.
 */
export class CallRinger {
  private readonly host: CallHost;
  private readonly ringing = new Map<string, { incoming: IncomingCall; timer: ReturnType<typeof setTimeout> }>();

  constructor(host: CallHost) {
    this.host = host;
  }

  /** Calls ringing on this device now. */
  list(): IncomingCall[] {
    return [...this.ringing.values()].map((entry) => entry.incoming);
  }

  onRing(frame: CallRingFrame): void {
    this.ring(frame.call, Date.now() + frame.expiresInMs);
  }

  onRingStop(frame: CallRingStopFrame): void {
    this.stop(frame.callId, frame.conversationId, frame.reason);
  }

  onSignal(frame: CallSignalFrame): void {
    this.host.emitSignal(frame);
  }

  /** This device answered or declined: it stops ringing without waiting for the server's frame. */
  settled(callId: string, reason: CallRingStopFrame['reason']): void {
    const entry = this.ringing.get(callId);
    if (entry) this.stop(callId, entry.incoming.call.conversationId, reason);
  }

  /** After a (re)connect: ring what still rings for us, stop what no longer does. */
  async refresh(): Promise<void> {
    const me = this.host.meId();
    const calls = await this.host.fetchMine();
    const stillRinging = new Set<string>();
    const answered = new Set<string>();
    for (const call of calls) {
      const mine = call.participants.find((p) => p.userId === me);
      if (mine?.state === 'joined') answered.add(call.id);
      if (mine?.state !== 'invited') continue;
      stillRinging.add(call.id);
      if (!this.ringing.has(call.id)) this.ring(call, Date.parse(call.ringExpiresAt));
    }
    // What rang here and is not ringing any more was answered on another device (we are in it), or is over for us.
    for (const [callId, entry] of this.ringing) {
      if (!stillRinging.has(callId)) this.stop(callId, entry.incoming.call.conversationId, answered.has(callId) ? 'answered_elsewhere' : 'ended');
    }
  }

  clear(): void {
    for (const entry of this.ringing.values()) clearTimeout(entry.timer);
    this.ringing.clear();
  }

  private ring(call: Call, expiresAt: number): void {
    const existing = this.ringing.get(call.id);
    if (existing) clearTimeout(existing.timer);
    const delay = Math.max(0, expiresAt - Date.now());
    const timer = setTimeout(() => this.stop(call.id, call.conversationId, 'missed'), delay);
    (timer as { unref?: () => void }).unref?.();
    const incoming = { call, expiresAt };
    this.ringing.set(call.id, { incoming, timer });
    if (!existing) this.host.emitRing(incoming);
  }

  private stop(callId: string, conversationId: string, reason: CallRingStopFrame['reason']): void {
    const entry = this.ringing.get(callId);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.ringing.delete(callId);
    this.host.emitRingStop({ callId, conversationId, reason });
  }
}
