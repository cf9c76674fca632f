import type { ConversationPreview as Preview } from '@parley/protocol';
import type { ReactNode } from 'react';
import { memberCountLabel } from '../../lib/format.ts';
import './joining.css';

const kindLabel = (kind: Preview['kind']) => (kind === 'channel' ? 'Channel' : kind === 'group' ? 'Group' : 'Direct conversation');
const membersLabel = (preview: Pick<Preview, 'kind' | 'memberCount'>) => memberCountLabel(preview.kind, preview.memberCount);

/** What a group or channel is before joining it: title, kind, size, handle, description (and a join button as children). */
export function ConversationPreview({ preview, children }: { preview: Preview; children?: ReactNode }) {
  return (
    <div className="person-card gov-preview" role="status" aria-label={`Preview of ${preview.title ?? 'conversation'}`}>
      <div className="person-text">
        <strong>{preview.title ?? 'Untitled'}</strong>
        <span>
          {kindLabel(preview.kind)} · {membersLabel(preview)}
          {preview.handle ? ` · @${preview.handle}` : ''}
        </span>
        {preview.description && <span className="gov-description">{preview.description}</span>}
      </div>
      {children}
    </div>
  );
}
