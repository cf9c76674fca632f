import { type ErrorBody, expandEvent, type ServerFrame } from '@parley/protocol';

/**
 * A bare protocol client for tests: raw frames in, raw frames out, no SDK logic, so
 * tests can see exactly what the server sends (and send what a broken client would).
 */
export class TestSocket {
  readonly frames: any[] = [];
  closeCode: number | null = null;
  closeReason = '';
  private readonly ws: WebSocket;
  private readonly waiters: Array<{ match: (frame: any) => boolean; resolve: (frame: any) => void }> = [];
  private readonly closeWaiters: Array<(code: number) => void> = [];
  private nextId = 0;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.addEventListener('message', (event) => {
      const frame = JSON.parse(String(event.data));
      this.frames.push(frame);
      for (const waiter of [...this.waiters]) {
        if (waiter.match(frame)) {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          waiter.resolve(frame);
        }
      }
    });
    ws.addEventListener('close', (event) => {
      this.closeCode = event.code;
      this.closeReason = event.reason;
      for (const waiter of this.closeWaiters.splice(0)) waiter(event.code);
    });
  }

  /** Opens a socket; with a token it waits for `ready`. */
  static async open(url: string, token?: string, options: { waitReady?: boolean } = {}): Promise<TestSocket> {
    const ws = new WebSocket(token ? `${url}?token=${encodeURIComponent(token)}` : url);
    const socket = new TestSocket(ws);
    await new Promise<void>((resolve, reject) => {
      ws.addEventListener('open', () => resolve(), { once: true });
      ws.addEventListener('error', () => reject(new Error('socket failed to open')), { once: true });
    });
    if (token && options.waitReady !== false) await socket.next((f) => f.t === 'ready' , 5000, () => socket.closeCode !== null);
    return socket;
  }

  get ready(): any {
    return this.frames.find((frame) => frame.t === 'ready');
  }

  sendRaw(data: string | ArrayBuffer | Uint8Array<ArrayBuffer>): void {
    this.ws.send(data);
  }

  send(frame: Record<string, unknown>): void {
    this.ws.send(JSON.stringify(frame));
  }

  /**
   * Sends a request and resolves with its ack data; rejects with the error body, or with
   * `closedBeforeAnswer` as soon as the socket closes unanswered (frames arrive before the
   * close, so none can come after: a slow answer is not mistaken for a missing one).
   */
  async request<T = any>(type: string, payload: Record<string, unknown> = {}, timeoutMs = 10_000): Promise<T> {
    const id = `r${++this.nextId}`;
    this.send({ t: type, id, ...payload });
    const answer = await this.answer(id, timeoutMs);
    if (answer.t === 'error') throw Object.assign(new Error(answer.error.message), { body: answer.error as ErrorBody });
    return answer.data as T;
  }

  private answer(id: string, timeoutMs: number): Promise<any> {
    const match = (frame: any) => (frame.t === 'ack' || frame.t === 'error') && frame.id === id;
    const seen = this.frames.find(match);
    if (seen) return Promise.resolve(seen);
    const unanswered = () => Object.assign(new Error(`socket closed (${this.closeCode}) before the answer to ${id}`), { closedBeforeAnswer: true });
    if (this.closeCode !== null) return Promise.reject(unanswered());
    return new Promise((resolve, reject) => {
      // Exactly one of the answer, the close and the timer settles it; each removes the others.
      const waiter = {
        match,
        resolve: (frame: any) => {
          clearTimeout(timer);
          this.closeWaiters.splice(this.closeWaiters.indexOf(onClose), 1);
          resolve(frame);
        },
      };
      const onClose = () => {
        clearTimeout(timer);
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(unanswered());
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        this.closeWaiters.splice(this.closeWaiters.indexOf(onClose), 1);
        reject(new Error(`no answer to ${id} within ${timeoutMs} ms; got ${JSON.stringify(this.frames.slice(-5))}`));
      }, timeoutMs);
      this.waiters.push(waiter);
      this.closeWaiters.push(onClose);
    });
  }

  /** The next frame (already received or future) matching; frames are not consumed. */
  next(match: (frame: any) => boolean, timeoutMs = 5000, abandon?: () => boolean): Promise<any> {
    const seen = this.frames.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = { match, resolve: (frame: any) => { clearTimeout(timer); resolve(frame); } };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`no matching frame within ${timeoutMs} ms${abandon?.() ? ` (socket closed ${this.closeCode} ${this.closeReason})` : ''}; got ${JSON.stringify(this.frames.slice(-5))}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Conversation events received, as the SDK restores them (message events arrive trimmed, see `LiveMessage`). */
  events(conversationId?: string): any[] {
    return this.frames.filter((frame): frame is Extract<ServerFrame, { t: 'event' }> => frame.t === 'event' && (!conversationId || frame.event.conversationId === conversationId)).map((frame) => expandEvent(frame.event));
  }

  /** Resolves with the close code (at once if already closed). */
  closed(timeoutMs = 5000): Promise<number> {
    if (this.closeCode !== null) return Promise.resolve(this.closeCode);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('socket did not close')), timeoutMs);
      this.closeWaiters.push((code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
  }

  close(): void {
    this.ws.close();
  }
}
