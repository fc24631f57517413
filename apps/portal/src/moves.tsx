import { useRef } from 'react';
import { api } from './api.js';
import type { GroupRunDetail, TaskRun } from './types.js';
import { ConfirmButton } from './ui.js';

// The operator moves of issue 13 that more than one page offers, each behind the confirmation dialog.

/** A FAILED task, or a reconciliation MISMATCH, an operator fixed by hand. */
export const canMarkSucceeded = (t: Pick<TaskRun, 'status' | 'reconciliationStatus'>) =>
  t.status === 'FAILED' || t.reconciliationStatus === 'MISMATCH';

export function MarkSucceededButton(props: { task: Pick<TaskRun, 'id' | 'file'>; onDone: () => void }) {
  const reason = useRef<HTMLTextAreaElement>(null);
  const name = props.task.file.name;
  return (
    <ConfirmButton
      label={`Mark ${name} succeeded`}
      className="outline"
      question={`Mark ${name} succeeded? Say what was fixed by hand: the reason is kept in the task's events.`}
      action={() =>
        api('POST', `/task-runs/${props.task.id}/mark-succeeded`, { reason: reason.current?.value.trim() ?? '' })
      }
      onDone={props.onDone}
    >
      <label>
        Reason (required)
        <textarea ref={reason} name="reason" rows={2} maxLength={1000} required />
      </label>
    </ConfirmButton>
  );
}

/** A finished group runs again: every task, or from its first FAILED task on. */
export function RerunButtons({ run, onDone }: { run: GroupRunDetail; onDone: () => void }) {
  if (run.status === 'RUNNING') return null;
  return (
    <>
      <ConfirmButton
        label="Rerun from the start"
        className="secondary"
        question={`Run every file of this ${run.definition} run again, each with a new dispatch id?`}
        action={() => api('POST', `/group-runs/${run.id}/rerun`, { from: 'start' })}
        onDone={onDone}
      />{' '}
      {run.counts.failed > 0 ? (
        <ConfirmButton
          label="Rerun from the first failed"
          question={`Run this ${run.definition} run again from its first failed file on? Files before it stay as they are.`}
          action={() => api('POST', `/group-runs/${run.id}/rerun`, { from: 'firstFailed' })}
          onDone={onDone}
        />
      ) : null}
    </>
  );
}
