import { Empty } from '../ui.js';

/** The audit log's API comes with the portal's accounts (issue 13): this page lists it once the route exists. */
export function AuditPage() {
  return (
    <Empty>
      The audit log (who did what, when) is not served by this scheduler yet: it arrives with the operator accounts.
      Until then each task's events name their actor on the task's page.
    </Empty>
  );
}
