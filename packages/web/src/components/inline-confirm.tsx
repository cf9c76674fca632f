import './inline-confirm.css';

/** An inline "are you sure?" step for destructive actions, in place of the buttons that asked. */
export function InlineConfirm({ message, confirmLabel, onConfirm, onCancel }: { message: string; confirmLabel: string; onConfirm(): void; onCancel(): void }) {
  return (
    <div className="gov-confirm" role="group" aria-label="Confirm">
      <p>{message}</p>
      <div className="dialog-actions">
        <button type="button" className="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="button" className="button button-danger" autoFocus onClick={onConfirm}>
          {confirmLabel}
        </button>
      </div>
    </div>
  );
}
