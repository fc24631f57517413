import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Scopes } from '#ferry/auth';
import { auditEventPageSchema, Scope } from '#ferry/contracts';
import { ApiDoc, pageQuery } from '#ferry/http';
import { type AuditQuery, AuditLog } from './audit-log.js';

const exactly = (what: string) => ({ schema: { type: 'string' }, description: `Only events ${what} (exact match)` });
const instant = (what: string) => ({
  schema: { type: 'string', format: 'date-time' },
  description: `Only events ${what} this instant (ISO-8601)`,
});

@ApiTags('admin: audit')
@ApiBearerAuth()
@Controller('audit')
export class AuditController {
  constructor(@Inject(AuditLog) private readonly audit: AuditLog) {}

  @Get()
  @ApiDoc({
    summary: 'The audit log: who changed what and when, newest first',
    answers: { 200: { schema: auditEventPageSchema, description: 'One page' } },
    query: {
      actor: exactly('by this actor (`user:<username>`, or a token’s subject)'),
      action: exactly('of this action (e.g. `definition.update`)'),
      objectType: exactly('on objects of this type (e.g. `definition`)'),
      objectId: exactly('on the object with this id'),
      from: instant('at or after'),
      to: instant('before'),
      ...pageQuery(500, 50),
    },
    errors: { 422: 'from or to is not a date, a cursor this API did not issue, or a limit out of range' },
  })
  @Scopes(Scope.adminRead)
  list(@Query() q: AuditQuery) {
    return this.audit.list(q);
  }
}
