import { CloseIcon } from '../../components/dialog.tsx';
import { FileIcon } from '../../components/icons.tsx';
import type { UploadItem } from './use-uploads.ts';
import type { FileInfo } from '@parley/protocol';
import { formatBytes, useFileUrl } from './use-file-url.ts';
import './media.css';

/** The files chosen for the next message: preview or icon, name, progress or size, and a button to cancel or remove each. */
export function AttachmentChips({ items, onRemove }: { items: UploadItem[]; onRemove(key: string): void }) {
  if (items.length === 0) return null;
  return (
    <ul className="attachment-chips" aria-label="Files to send">
      {items.map((item) => (
        <li key={item.key} className={`attachment-chip chip-${item.state}`} data-state={item.state}>
          <span className="chip-thumb" aria-hidden="true">
            {item.file?.kind === 'image' ? <ChipPreview file={item.file} /> : <FileIcon />}
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

/**
 * An uploaded image's preview from the server (a local blob: URL would be simpler, but the
 * page's Content-Security-Policy admits images from its own origin only).
 */
function ChipPreview({ file }: { file: FileInfo }) {
  const link = useFileUrl(file.id, file.thumbnail ? 'thumbnail' : 'original');
  return link.url ? <img src={link.url} alt="" onError={link.renew} /> : <FileIcon />;
}
