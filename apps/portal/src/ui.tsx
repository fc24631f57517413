import { type ReactNode, useCallback, useEffect, useRef, useState } from 'react';
import { ApiFailure } from './api.js';
import { stateColour } from './states.js';

/** A state as a coloured badge (the one colour map) with its name in text, never colour alone. */
export function StateBadge({ state }: { state: string | null | undefined }) {
  return (
    <span className="badge" style={{ background: stateColour(state) }}>
      {state ?? '—'}
    </span>
  );
}

export interface Loaded<T> {
  data: T | undefined;
  error: string | undefined;
  reload: () => void;
}

/** Loads `fn` now, again when `deps` change, and every `refreshMs` if given (without flashing the page). */
export function useLoad<T>(fn: () => Promise<T>, deps: unknown[], refreshMs?: number): Loaded<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<string>();
  const [tick, setTick] = useState(0);
  const fnRef = useRef(fn);
  fnRef.current = fn;
  useEffect(() => {
    let live = true;
    const load = () =>
      fnRef.current().then(
        (d) => live && (setData(d), setError(undefined)),
        (e) => live && setError(e instanceof ApiFailure ? `${e.code}: ${e.message}` : String(e)),
      );
    void load();
    const timer = refreshMs ? setInterval(load, refreshMs) : undefined;
    return () => {
      live = false;
      if (timer) clearInterval(timer);
    };
  }, [...deps, tick, refreshMs]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, reload };
}

export function Problem({ error }: { error: string | undefined }) {
  return error ? (
    <p role="alert" className="field-error">
      {error}
    </p>
  ) : null;
}

/**
 * Problems of a refused request listed by path: those of a save that name no field of the form ("Other problems"),
 * or all of a request that has no fields of its own.
 */
export function ProblemList({
  problems,
  label = 'Other problems',
}: {
  problems: Array<{ path: string; problem: string }>;
  label?: string;
}) {
  return problems.length ? (
    <ul className="field-error" aria-label={label}>
      {problems.map((p, i) => (
        <li key={i}>
          {p.path} {p.problem}
        </li>
      ))}
    </ul>
  ) : null;
}

export function Loading({ what }: { what: string }) {
  return <p aria-busy="true">Loading {what}…</p>;
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="muted">{children}</p>;
}

/** A button that asks first (a native dialog: focus trapped, Escape cancels), then runs `action`. */
export function ConfirmButton(props: {
  label: string;
  question: string;
  action: () => Promise<unknown>;
  onDone?: () => void;
  className?: string;
  children?: ReactNode;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const confirm = async () => {
    setBusy(true);
    try {
      await props.action();
      dialog.current?.close();
      props.onDone?.();
    } catch (e) {
      setError(e instanceof ApiFailure ? `${e.code}: ${e.message}` : String(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button
        type="button"
        className={props.className}
        onClick={() => {
          setError(undefined);
          dialog.current?.showModal();
        }}
      >
        {props.label}
      </button>
      <dialog ref={dialog} aria-label={props.label}>
        <article>
          <p>{props.question}</p>
          {props.children}
          <Problem error={error} />
          <footer>
            <button type="button" className="secondary" onClick={() => dialog.current?.close()}>
              Cancel
            </button>{' '}
            <button type="button" aria-busy={busy} disabled={busy} onClick={confirm}>
              Confirm
            </button>
          </footer>
        </article>
      </dialog>
    </>
  );
}

/** Cursor paging: "Next page" follows nextCursor, "First page" goes back to the start. */
export function Pager(props: {
  next: string | null | undefined;
  cursor: string | undefined;
  go: (c?: string) => void;
}) {
  return (
    <nav aria-label="Pages">
      <ul>
        <li>
          <button type="button" className="secondary outline" disabled={!props.cursor} onClick={() => props.go()}>
            First page
          </button>
        </li>
        <li>
          <button
            type="button"
            className="secondary outline"
            disabled={!props.next}
            onClick={() => props.go(props.next ?? undefined)}
          >
            Next page
          </button>
        </li>
      </ul>
    </nav>
  );
}

/** A list's status filter: choosing a status starts the list again from its first page (`onChange`). */
export function StatusFilter(props: { value: string; options: string[]; onChange: (status: string) => void }) {
  return (
    <label>
      Status
      <select value={props.value} onChange={(e) => props.onChange(e.target.value)}>
        {props.options.map((s) => (
          <option key={s} value={s}>
            {s || 'any'}
          </option>
        ))}
      </select>
    </label>
  );
}
