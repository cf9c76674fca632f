import { CloseIcon } from '../../components/dialog.tsx';
import { FileIcon } from '../../components/icons.tsx';
import type { UploadItem } from './use-uploads.ts';
import { formatBytes } from './use-file-url.ts';
import './media.css';

/** The files chosen for the next message: preview or icon, name, progress or size, and a button to cancel or remove each. */
export function AttachmentChips({ items, onRemove }: { items: UploadItem[]; onRemove(key: string): void }) {
  if (items.length === 0) return null;
  return (
    <ul className="attachment-chips" aria-label="Files to send">
      {items.map((item) => (
        <li key={item.key} className={`attachment-chip chip-${item.state}`} data-state={item.state}>
          <span className="chip-thumb" aria-hidden="true">
            {item.previewUrl ? <img src={item.previewUrl} alt="" /> : <FileIcon />}
          </span>
          <span className="chip-body">
            <span className="chip-name" title={item.name}>
              {item.name}
            </span>
            {item.state === 'uploading' ? (
              <progress className="chip-progress" value={item.sent} max={item.size || 1} aria-label={`Uploading ${item.name}`} />
            ) : item.state === 'failed' ? (
              <span className="chip-error" role="alert">
                {item.error}
              </span>
            ) : (
              <span className="chip-size">{formatBytes(item.file?.size ?? item.size)}</span>
            )}
          </span>
          <button type="button" className="icon-button chip-remove" aria-label={item.state === 'uploading' ? `Cancel upload of ${item.name}` : `Remove ${item.name}`} onClick={() => onRemove(item.key)}>
            <CloseIcon />
          </button>
        </li>
      ))}
    </ul>
  );
}
