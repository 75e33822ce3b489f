import { type ReactNode, useEffect, useId, useRef } from 'react';
import './modal.css';

/**
 * A modal dialog on the native `<dialog>`: showModal() keeps the focus inside and Escape closes
 * it; the focus goes back to what opened it. `alertdialog` for a question that must be answered
 * before anything else (a revocation, a merge).
 */
export function Modal({
  title,
  onClose,
  children,
  role,
}: {
  title: string;
  onClose: () => void;
  children: ReactNode;
  role?: 'alertdialog';
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const close = useRef(onClose);
  useEffect(() => {
    close.current = onClose;
  }, [onClose]);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (!dialog.open) dialog.showModal();
    return () => {
      if (dialog.open) dialog.close();
      opener?.focus();
    };
  }, []);
  return (
    <dialog
      ref={ref}
      role={role}
      aria-labelledby={titleId}
      className="modal"
      onClose={() => {
        // a close queued by an earlier cleanup (a remount opens it again at once) is not the reader's
        if (!ref.current?.open) close.current();
      }}
    >
      <h2 id={titleId}>{title}</h2>
      {children}
    </dialog>
  );
}
