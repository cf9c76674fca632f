import type { Attachment } from '@parley/protocol';
import { messagePreview } from '../../lib/markdown.ts';

/** What a message's files are, in a few words: "Voice note", "Photo", "3 photos", "report.pdf", "2 files". */
export function filesLabel(attachments: readonly Pick<Attachment, 'kind' | 'name'>[]): string {
  const [first] = attachments;
  if (!first) return '';
  if (attachments.length === 1) return first.kind === 'voice' ? 'Voice note' : first.kind === 'image' ? 'Photo' : first.kind === 'video' ? 'Video' : first.name;
  if (attachments.every((file) => file.kind === 'image')) return `${attachments.length} photos`;
  return `${attachments.length} files`;
}

/** A one-line preview of a message that may carry files (the list, quotes, the pinned bar): the caption, after what the files are. */
export function previewWithFiles(text: string, attachments: readonly Pick<Attachment, 'kind' | 'name'>[] | undefined, max?: number): string {
  const label = filesLabel(attachments ?? []);
  if (!label) return messagePreview(text, max);
  return text.trim() === '' ? label : `${label} · ${messagePreview(text, max)}`;
}
