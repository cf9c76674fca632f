import { DiscardPolicy, type JetStreamManager, nanos, NatsError, RetentionPolicy, StorageType, type StreamConfig, type StreamInfo } from 'nats';

/** How long and how much the stream keeps: the longest outage a node comes back from without a gap. */
export interface JetStreamRetention {
  /** `memory`: no disk write per event, emptied by a NATS restart (a gap); `file`: survives one. */
  storage: 'memory' | 'file';
  maxAgeMs: number;
  maxBytes: number;
  maxMsgs: number;
}

/** JetStream's error codes (`err_code`) this module acts on. */
const STREAM_NAME_IN_USE = 10058;
const STREAM_NOT_FOUND = 10059;

/** One stream per subject prefix: deployments sharing a NATS share nothing. */
export const streamNameOf = (subjectPrefix: string): string => `${subjectPrefix}-events`;

export function streamConfig(subjectPrefix: string, retention: JetStreamRetention): Partial<StreamConfig> & { name: string } {
  return {
    name: streamNameOf(subjectPrefix),
    subjects: [`${subjectPrefix}.>`],
    retention: RetentionPolicy.Limits,
    // Over a limit the oldest go (a publish never fails for being one too many); a node that needed them reports a gap.
    discard: DiscardPolicy.Old,
    storage: retention.storage === 'file' ? StorageType.File : StorageType.Memory,
    max_age: nanos(retention.maxAgeMs),
    max_bytes: retention.maxBytes,
    max_msgs: retention.maxMsgs,
    num_replicas: 1,
    // Publishes carry no message id, so there is nothing to deduplicate; it may not exceed max_age.
    duplicate_window: nanos(Math.min(1000, retention.maxAgeMs)),
  };
}

const apiErrorCode = (error: unknown): number | undefined => (error instanceof NatsError ? error.api_error?.err_code : undefined);

/**
 * Creates the stream, or brings an existing one to this configuration. Safe when several
 * nodes start at once: adding an identical stream is a no-op answering its info, and a
 * node with other settings updates it (the last one to start wins).
 */
export async function ensureStream(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }): Promise<StreamInfo> {
  try {
    return await jsm.streams.add(config);
  } catch (error) {
    if (apiErrorCode(error) !== STREAM_NAME_IN_USE) throw error;
    return await jsm.streams.update(config.name, config);
  }
}

/** The stream's info; re-created first when it is gone (a `memory` stream after a NATS restart, or deleted by hand). */
export async function followStream(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }): Promise<StreamInfo> {
  try {
    return await jsm.streams.info(config.name);
  } catch (error) {
    if (apiErrorCode(error) !== STREAM_NOT_FOUND) throw error;
    return await ensureStream(jsm, config);
  }
}
