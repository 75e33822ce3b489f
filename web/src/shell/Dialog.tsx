import { type ReactNode, useEffect, useId, useRef } from 'react';
import { ProblemAlert } from './ProblemAlert.tsx';

/**
 * A modal dialog on the native `<dialog>` element: showModal() traps the focus inside and
 * Escape closes it; the focus returns to what opened it. `role="alertdialog"` for a question
 * that must be answered (a destructive confirmation).
 */
export function Dialog({
  open,
  onClose,
  title,
  children,
  role,
  className,
}: {
  open: boolean;
  onClose: () => void;
  title: string;
  children: ReactNode;
  role?: 'alertdialog';
  className?: string;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
      dialog.showModal();
      return () => {
        if (dialog.open) dialog.close();
        opener?.focus();
      };
    }
    return undefined;
  }, [open]);
  return (
    <dialog
      ref={ref}
      role={role}
      aria-labelledby={titleId}
      className={className ? `dialog ${className}` : 'dialog'}
      onClose={(e) => {
        // a close event queued by an effect's cleanup arrives after the dialog was shown again
        // (React runs effects twice in development): only a dialog that is closed now is closed
        if (!e.currentTarget.open) onClose();
      }}
      onClick={(e) => {
        // a click on the backdrop (the dialog element itself, outside its content) closes it
        if (e.target === e.currentTarget) e.currentTarget.close();
      }}
    >
      <div className="dialog-body">
        <h2 id={titleId}>{title}</h2>
        {open ? children : null}
      </div>
    </dialog>
  );
}

/**
 * A destructive action asked first: what it does (`children`), the refusal if the API answered
 * one, the action's button and Cancel. Escape and the backdrop cancel too.
 */
export function Confirm({
  open,
  title,
  action,
  onConfirm,
  onCancel,
  pending = false,
  error = null,
  children,
}: {
  open: boolean;
  title: string;
  /** the confirming button's label ("Delete") */
  action: string;
  onConfirm: () => void;
  onCancel: () => void;
  pending?: boolean;
  error?: unknown;
  children: ReactNode;
}) {
  return (
    <Dialog open={open} onClose={onCancel} title={title} role="alertdialog">
      {children}
      <ProblemAlert error={error} />
      <div className="dialog-actions">
        <button type="button" className="danger" disabled={pending} onClick={onConfirm}>
          {action}
        </button>
        <button type="button" className="quiet" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </Dialog>
  );
}
