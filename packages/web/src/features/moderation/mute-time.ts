/** The server writes a mute without end as a date in the year 9999. */
export const isForever = (until: string) => until.startsWith('9999');

/** Whether a member's mute (an ISO time or null) is still running. */
export const mutedNow = (until: string | null) => until !== null && Date.parse(until) > Date.now();
